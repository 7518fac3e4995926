package dev.lmforge.activities.cli;

import dev.lmforge.activities.bench.DataBenchCommand;
import dev.lmforge.activities.bench.ExportBenchCommand;
import dev.lmforge.activities.bench.ServingBenchCommand;
import dev.lmforge.activities.bench.TokenizerBenchCommand;
import dev.lmforge.activities.bench.TrainBenchCommand;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The {@code lmforge} command line, apart from the server commands ({@code up}, {@code demo},
 * {@code bench orchestration}) that the launcher hands to the console's application. Each word maps to a
 * {@link Command}; {@code bench NAME} maps to the command {@code bench-NAME}. {@code --help} anywhere before a
 * bare {@code --} prints the command's {@link Help} instead of running it; every error is printed once, after
 * {@code lmforge COMMAND: }.
 */
public final class LmforgeCli {

    /** The commands the launcher hands to the console's application; their help is here, with the others'. */
    static final Map<String, Help> SERVER_COMMANDS = Map.of(
            "up", Help.of("Starts the local stack on 127.0.0.1 (PostgreSQL, an S3 server, the Temporal dev server and "
                    + "its Web UI, the console at http://127.0.0.1:8080/ and a compute worker) and keeps it running until "
                    + "Ctrl-C. Data stays in LMFORGE_DATA_DIR (default ./data).").usage("up").example("./lmforge up"),
            "demo", Help.of("Starts the local stack as 'up' does and submits the bundled sample lifecycle "
                    + "(samples/demo.yaml), printing its progress.").usage("demo [--exit-when-done]")
                    .option("--exit-when-done", "exit when the run ends: 0 if it succeeded, non-zero otherwise")
                    .example("./lmforge demo").example("./lmforge demo --exit-when-done"),
            "test", Help.of("Runs every test (mvn -B verify), after installing Debian's chromium and the Temporal CLI "
                    + "if they are missing; further words go to Maven.").usage("test [MAVEN_ARGS...]")
                    .example("./lmforge test").example("./lmforge test -pl activities"),
            "bench-orchestration", Help.of("Per-stage orchestration overhead and artifact throughput on a private "
                    + "local stack (free ports, a throw-away data folder).").usage("bench orchestration [--runs N] [--smoke]")
                    .option("--runs N", "lifecycles to run").option("--smoke", "a small run, as the test suite does")
                    .example("./lmforge bench orchestration --runs 20"),
            "bench-console", Help.of("The console's API under load (runs list, search, run pages) on a private local "
                    + "stack.").usage("bench console [--smoke]").option("--smoke", "a small run, as the test suite does")
                    .example("./lmforge bench console"),
            "bench-artifacts", Help.of("Artifact upload and download throughput against an S3 server of its own (no "
                    + "database, Temporal or console).").usage("bench artifacts [--smoke] [--mb N]...")
                    .option("--mb N", "an artifact size in MB to measure (repeatable)")
                    .option("--smoke", "small sizes, as the test suite does").example("./lmforge bench artifacts --mb 64 --mb 512"));

    private final Map<String, Command> commands = new LinkedHashMap<>();

    LmforgeCli(List<Command> all) {
        all.forEach(c -> commands.put(c.name(), c));
    }

    /** Every command of this build, one line each. */
    static LmforgeCli standard() {
        List<Command> all = new ArrayList<>();
        all.add(new WorkerCommand());
        all.addAll(RunCommands.all());
        all.add(new GcCommand());
        all.add(new DataCommand());
        all.add(new TokenizerCommand());
        all.add(new PlanCommand());
        all.add(new FitCommand());
        all.add(new DataBenchCommand());
        all.add(new TokenizerBenchCommand());
        all.add(new TrainBenchCommand());
        all.add(new ExportBenchCommand());
        all.add(new ServingBenchCommand());
        all.add(new EvalCommand());
        all.add(new AlignCommand());
        all.add(new ModelCommand());
        return new LmforgeCli(all);
    }

    public static void main(String[] argv) {
        System.exit(standard().run(Arrays.asList(argv), System.out, System.err));
    }

    /** The commands, by name ({@code bench-data} for {@code bench data}). */
    Map<String, Command> commands() {
        return Map.copyOf(commands);
    }

    /** This build's version, from the Maven project's version (a filtered resource). */
    static String version() {
        try (InputStream in = LmforgeCli.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                throw new IllegalStateException("the build left out version.properties");
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int run(List<String> argv, PrintStream out, PrintStream err) {
        if (argv.isEmpty() || argv.get(0).equals("--help") || argv.get(0).equals("-h")) {
            usage(out);
            return argv.isEmpty() ? 2 : 0;
        }
        if (argv.get(0).equals("--version") || argv.get(0).equals("version")) {
            out.println("lmforge " + version());
            return 0;
        }
        boolean helpWanted = argv.get(0).equals("help");
        List<String> words = helpWanted ? argv.subList(1, argv.size()) : argv;
        if (words.isEmpty()) {
            usage(out);
            return 0;
        }
        List<String> rest = words.subList(1, words.size());
        String name = words.get(0);
        if (name.equals("bench") && !rest.isEmpty()) {
            name = "bench-" + rest.get(0);
            rest = rest.subList(1, rest.size());
        } else if (name.equals("eval") && !rest.isEmpty() && rest.get(0).equals("compare")) {
            // Comparing runs reads the API, as the run commands do; offline evaluation actions stay in 'eval'.
            name = "compare";
            rest = rest.subList(1, rest.size());
        }
        Command command = commands.get(name);
        String shown = "lmforge " + name.replace("bench-", "bench ") + ": ";
        if (command == null && SERVER_COMMANDS.containsKey(name)) {
            if (helpWanted || asksForHelp(rest)) {
                out.print(SERVER_COMMANDS.get(name).render());
                return 0;
            }
            err.println(shown + "the launcher starts it: ./lmforge " + name.replace("bench-", "bench "));
            return 2;
        }
        if (command == null) {
            err.println("lmforge: unknown command '" + String.join(" ", words.subList(0, Math.min(2, words.size())))
                    + "'; 'lmforge help' lists them");
            return 2;
        }
        if (helpWanted || asksForHelp(rest)) {
            out.print(command.help().render());
            return 0;
        }
        try {
            return command.run(Args.parse(rest), out, err);
        } catch (Args.UsageException e) {
            err.println(shown + e.getMessage() + "; 'lmforge " + name.replace("bench-", "bench ") + " --help' shows the usage");
            return 2;
        } catch (Exception e) {
            err.println(shown + (e.getMessage() != null ? e.getMessage() : e.toString()));
            return 1;
        }
    }

    /** {@code --help} or {@code -h} among the words before a bare {@code --}. */
    private static boolean asksForHelp(List<String> words) {
        for (String w : words) {
            if (w.equals("--")) {
                return false;
            }
            if (w.equals("--help") || w.equals("-h")) {
                return true;
            }
        }
        return false;
    }

    private void usage(PrintStream out) {
        out.println("usage: lmforge COMMAND [ARGS]   (lmforge COMMAND --help for its options and examples)");
        out.println("  up                       start the local stack and the console");
        out.println("  demo [--exit-when-done]  start them and run the bundled sample lifecycle");
        out.println("  bench orchestration      per-stage overhead and artifact throughput on the local stack");
        out.println("  bench console            the console's API under load on the local stack");
        out.println("  bench artifacts          artifact upload and download throughput on the local stack");
        out.println("  test                     the whole test suite (mvn -B verify; installs chromium if missing)");
        commands.values().forEach(c -> out.printf("  %-24s %s%n", c.name().replace("bench-", "bench "), c.summary()));
        out.println("  --version                this build's version");
    }
}
