package dev.lmforge.activities.evaluation;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes lmforge's bundled small suite into a directory: the suite file, the task files (bundled as resources
 * beside this class, under {@code small/}) and each task's data, generated from a seed: arithmetic, copying, and
 * a next-word cloze from a corpus file. The same corpus, seed and size give the same bytes.
 */
public final class SuiteGenerator {

    /** The suite file's name in the directory written. */
    public static final String SUITE_FILE = "suite.yaml";
    /** The sample corpus file the cloze task is built from by default, relative to the repository root. */
    public static final Path SAMPLE_CORPUS = Path.of("samples", "corpus", "dump-2024-01.jsonl");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<TaskDataGenerator> generators;
    private final long seed;
    private final int itemsPerTask;

    /**
     * @param corpus       a corpus JSONL file (plain, {@code .gz} or {@code .zst}) with {@code text} and {@code lang}
     * @param seed         the seed of every generator
     * @param itemsPerTask items in each task's data, at least 2
     */
    public SuiteGenerator(Path corpus, long seed, int itemsPerTask) {
        if (itemsPerTask < 2) {
            throw new IllegalArgumentException("items per task must be at least 2, not " + itemsPerTask);
        }
        this.generators = List.of(new ArithmeticTaskGenerator(), new CopyTaskGenerator(), new ClozeTaskGenerator(corpus));
        this.seed = seed;
        this.itemsPerTask = itemsPerTask;
    }

    /**
     * Writes the suite into {@code directory}, creating it, replacing files of the same names.
     *
     * @return each file written and how many items it holds (0 for the suite and task files)
     */
    public Map<Path, Integer> write(Path directory) throws IOException {
        Files.createDirectories(directory);
        Map<Path, Integer> written = new LinkedHashMap<>();
        written.put(copyBundled(SUITE_FILE, directory), 0);
        for (TaskDataGenerator generator : generators) {
            written.put(copyBundled(generator.taskFile(), directory), 0);
            Path data = directory.resolve(generator.taskFile().replaceFirst("\\.yaml$", ".jsonl"));
            List<ObjectNode> items = generator.items(seed, itemsPerTask);
            try (BufferedWriter out = Files.newBufferedWriter(data, StandardCharsets.UTF_8)) {
                for (ObjectNode item : items) {
                    out.write(JSON.writeValueAsString(item));
                    out.write('\n');
                }
            }
            written.put(data, items.size());
        }
        return written;
    }

    private static Path copyBundled(String name, Path directory) throws IOException {
        try (InputStream in = SuiteGenerator.class.getResourceAsStream("small/" + name)) {
            if (in == null) {
                throw new IllegalStateException("bundled task file small/" + name + " is missing from the build");
            }
            Path target = directory.resolve(name);
            Files.write(target, in.readAllBytes());
            return target;
        }
    }
}
