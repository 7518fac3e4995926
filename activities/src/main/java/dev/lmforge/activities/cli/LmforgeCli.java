package dev.lmforge.activities.cli;

import dev.lmforge.activities.bench.DataBenchCommand;
import dev.lmforge.activities.bench.ExportBenchCommand;
import dev.lmforge.activities.bench.TokenizerBenchCommand;
import dev.lmforge.activities.bench.TrainBenchCommand;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code lmforge} command line, apart from the server commands ({@code up}, {@code demo},
 * {@code bench orchestration}) that the launcher hands to the console's application. Each word maps to a
 * {@link Command}; {@code bench NAME} maps to the command {@code bench-NAME}.
 */
public final class LmforgeCli {

    private final Map<String, Command> commands = new LinkedHashMap<>();

    LmforgeCli(List<Command> all) {
        all.forEach(c -> commands.put(c.name(), c));
    }

    /** Every command of this build. */
    static LmforgeCli standard() {
        List<Command> all = new ArrayList<>();
        all.add(new WorkerCommand());
        all.addAll(RunCommands.all());
        all.add(new DataCommand());
        all.add(new TokenizerCommand());
        all.add(new PlanCommand());
        all.add(new FitCommand());
        all.add(new DataBenchCommand());
        all.add(new TokenizerBenchCommand());
        all.add(new TrainBenchCommand());
        all.add(new ExportBenchCommand());
        all.add(new EvalCommand());
        all.add(new AlignCommand());
        all.add(new ModelCommand());
        return new LmforgeCli(all);
    }

    public static void main(String[] argv) {
        System.exit(standard().run(Arrays.asList(argv), System.out, System.err));
    }

    int run(List<String> argv, PrintStream out, PrintStream err) {
        if (argv.isEmpty() || argv.get(0).equals("help") || argv.get(0).equals("--help")) {
            usage(out);
            return argv.isEmpty() ? 2 : 0;
        }
        List<String> rest = argv.subList(1, argv.size());
        String name = argv.get(0);
        if (name.equals("bench") && !rest.isEmpty()) {
            name = "bench-" + rest.get(0);
            rest = rest.subList(1, rest.size());
        } else if (name.equals("eval") && !rest.isEmpty() && rest.get(0).equals("compare")) {
            // Comparing runs reads the API, as the run commands do; offline evaluation actions stay in 'eval'.
            name = "compare";
            rest = rest.subList(1, rest.size());
        }
        Command command = commands.get(name);
        if (command == null) {
            err.println("lmforge: unknown command '" + String.join(" ", argv.subList(0, Math.min(2, argv.size())))
                    + "'; 'lmforge help' lists them");
            return 2;
        }
        try {
            return command.run(Args.parse(rest), out, err);
        } catch (Args.UsageException e) {
            err.println("lmforge " + argv.get(0) + ": " + e.getMessage());
            return 2;
        } catch (Exception e) {
            err.println("lmforge " + argv.get(0) + ": " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            return 1;
        }
    }

    private void usage(PrintStream out) {
        out.println("usage: lmforge COMMAND [ARGS]");
        out.println("  up                       start the local stack and the console");
        out.println("  demo [--exit-when-done]  start them and run the bundled sample lifecycle");
        out.println("  bench orchestration      per-stage overhead and artifact throughput on the local stack");
        out.println("  test                     the whole test suite (mvn -B verify; installs chromium if missing)");
        commands.values().forEach(c -> out.printf("  %-24s %s%n", c.name().replace("bench-", "bench "), c.summary()));
    }
}
