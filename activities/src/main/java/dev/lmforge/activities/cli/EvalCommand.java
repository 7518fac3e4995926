package dev.lmforge.activities.cli;

import dev.lmforge.activities.evaluation.Metric;
import dev.lmforge.activities.evaluation.Suite;
import dev.lmforge.activities.evaluation.SuiteGenerator;
import dev.lmforge.activities.evaluation.Task;
import dev.lmforge.activities.evaluation.TaskFileException;
import dev.lmforge.activities.evaluation.TaskLoader;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@code lmforge eval}: the evaluation harness's offline parts.
 * <ul>
 *   <li>{@code eval generate-suite --out DIR [--corpus FILE] [--seed N] [--items N]}: writes the bundled small
 *   suite (suite file, task files, generated data) into {@code DIR};</li>
 *   <li>{@code eval validate FILE...}: checks task or suite files and their data; errors name file and line.</li>
 * </ul>
 */
public final class EvalCommand implements Command {

    private static final long DEFAULT_SEED = 1234;
    private static final int DEFAULT_ITEMS = 100;

    @Override
    public String name() {
        return "eval";
    }

    @Override
    public String summary() {
        return "evaluation harness: generate-suite --out DIR [--corpus FILE] [--seed N] [--items N] "
                + "| validate TASK_OR_SUITE_FILE...";
    }

    @Override
    public Help help() {
        return Help.of("The evaluation harness offline: generate the bundled kind of suite from a corpus, or validate "
                + "task and suite files. 'lmforge eval compare RUN RUN...' compares runs' scores (see 'lmforge compare --help').")
                .usage("eval generate-suite --out DIR [--corpus FILE] [--seed N] [--items N]")
                .usage("eval validate TASK_OR_SUITE_FILE...")
                .usage("eval compare RUN RUN... [--json]")
                .option("--out DIR", "generate-suite: where the suite's files go")
                .option("--corpus FILE", "generate-suite: the corpus the cloze task is built from (default the sample)")
                .option("--seed N", "generate-suite: the random seed")
                .option("--items N", "generate-suite: items per task, at least 2")
                .option("--json", "compare: the comparison as JSON")
                .example("lmforge eval generate-suite --out /tmp/suite --items 50")
                .example("lmforge eval validate /tmp/suite/suite.yaml");
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        String what = args.positional(0, "what to do: 'generate-suite' or 'validate'");
        return switch (what) {
            case "generate-suite" -> generateSuite(args, out);
            case "validate" -> validate(args, out, err);
            default -> throw new Args.UsageException("unknown eval action '" + what
                    + "': use 'generate-suite' or 'validate' (models are evaluated by a lifecycle's evaluate stages; "
                    + "'lmforge eval compare RUN RUN...' compares their scores)");
        };
    }

    private static int generateSuite(Args args, PrintStream out) throws Exception {
        args.allowOnly("out", "corpus", "seed", "items");
        Path directory = Path.of(args.require("out"));
        Path corpus = Path.of(args.get("corpus", SuiteGenerator.SAMPLE_CORPUS.toString()));
        if (!Files.isRegularFile(corpus)) {
            throw new Args.UsageException("--corpus " + corpus + " is not a file (the cloze task is built from it)");
        }
        long items = args.getLong("items", DEFAULT_ITEMS);
        if (items < 2 || items > Integer.MAX_VALUE) {
            throw new Args.UsageException("--items must be at least 2, not " + items);
        }
        Map<Path, Integer> written = new SuiteGenerator(corpus, args.getLong("seed", DEFAULT_SEED), (int) items)
                .write(directory);
        written.forEach((file, count) -> out.println(count > 0 ? file + "  " + count + " items" : file));
        return 0;
    }

    private static int validate(Args args, PrintStream out, PrintStream err) throws Exception {
        args.allowOnly();
        List<String> files = args.positional().subList(1, args.positional().size());
        if (files.isEmpty()) {
            throw new Args.UsageException("missing the task or suite file(s) to validate");
        }
        int failures = 0;
        for (String name : files) {
            Path file = Path.of(name);
            try {
                List<Task> tasks = Suite.isSuite(file) ? Suite.read(file).load() : List.of(TaskLoader.load(file));
                for (Task task : tasks) {
                    out.println("ok " + task.spec().file() + ": " + task.name() + " (" + task.spec().type().key() + ", "
                            + task.items().size() + " items; " + task.spec().metrics().stream().map(Metric::key)
                            .collect(Collectors.joining(", ")) + ")");
                }
            } catch (TaskFileException e) {
                err.println(e.getMessage());
                failures++;
            }
        }
        return failures == 0 ? 0 : 1;
    }
}
