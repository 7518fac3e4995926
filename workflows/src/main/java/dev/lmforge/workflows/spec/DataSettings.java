package dev.lmforge.workflows.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * Every setting of the data stage once: its path in a spec's {@code data} section (and in a data config file), its
 * default and its range. The spec validator checks the settings a spec gives at submission; the compute side's
 * {@code DataConfig} takes its defaults from here and checks the settings again once they are laid over them.
 * What each setting means is on {@code DataConfig}, the worker's typed view of them.
 */
public final class DataSettings {

    /**
     * The slowest read throttle a spec may ask for (64 KiB/s): slower, a data stage holds a worker's slot for days
     * (1 byte/s would read the bundled corpus in five weeks) without protecting any storage.
     */
    static final long MIN_BYTES_PER_SECOND = 64 * 1024;

    /** The most LSH partitions a spec may ask for: each is one activity and one file per shard. */
    static final int MAX_PARTITIONS = 1024;

    /**
     * The most source files (raw dumps) one data stage takes. The data workflow runs three activities per file and
     * passes every file's shard record through its history; at 2,000 files in 50 partitions, with names using up
     * {@link #MAX_RAW_DUMP_PATH_BYTES}, that history holds about 19,000 events and 30 MB, and its largest event (the
     * stage's final step, every shard's records) 1.5 MB, inside a real Temporal server's 51,200 events, 50 MB and
     * 2 MB per payload (measured by {@code DataWorkflowLimitsTest}).
     */
    public static final int MAX_RAW_DUMPS = 2_000;

    /** The most bytes of source file names one data stage takes (UTF-8, summed): 131 bytes a file at 2,000 files. */
    public static final int MAX_RAW_DUMP_PATH_BYTES = 256 * 1024;

    /**
     * The most band files (files times {@code partitions}) one data stage makes: every band file's digest passes the
     * data workflow's history twice (a signing's result, a pair search's input), 100,000 of them 14 MB.
     */
    static final int MAX_BAND_FILES = 100_000;

    /**
     * The most documents a remix may write ({@code remix.documents}), the same as the documents a worker reads in
     * one attempt by default ({@code lmforge.limits.documents}): the remix up-samples to any count it is given, and
     * without this cap only each data step's scratch-disk cap would stop a spec asking for 10^18.
     */
    public static final long MAX_DOCUMENTS_PER_STAGE = 1_000_000_000L;

    /** The seed of the MinHash permutations and of the remix's sampling. */
    private static final long SEED = 20240101L;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A setting's rule: reports {@code problem(path, message)} for a bad {@code value} (never null here). */
    @FunctionalInterface
    private interface Rule {
        void check(String path, JsonNode value, JsonNode settings, BiConsumer<String, String> problem);
    }

    /** One setting: its dotted path, its default (null: the setting is off when absent) and its rules. */
    private record Setting(String path, Object defaultValue, Rule... rules) {
    }

    /**
     * The settings, in the order their problems are reported. The defaults are Gopher's quality filters (Rae et al.
     * 2021, MassiveText), 8 MiB documents, 5 % errors, 5-word shingles, 128 permutations in 16 bands of 8 rows at 0.8.
     */
    private static final List<Setting> SETTINGS = List.of(
            new Setting("maxBytesPerSecond", null, atLeast(MIN_BYTES_PER_SECOND)),
            new Setting("partitions", 4, atLeast(1), atMost(MAX_PARTITIONS)),
            new Setting("reading.maxDocumentBytes", 8L << 20, atLeast(1), atMost(Integer.MAX_VALUE - 16)),
            new Setting("reading.maxErrorRatio", 0.05, fraction()),
            new Setting("dedup.near", true),
            new Setting("dedup.shingles", "WORD", oneOf(List.of("WORD", "CHARACTER"))),
            new Setting("dedup.keep", "EARLIEST_DUMP", oneOf(List.of("EARLIEST_DUMP", "LATEST_DUMP"))),
            new Setting("dedup.shingleSize", 5, atLeast(1)),
            new Setting("dedup.permutations", 128, atLeast(4), (path, value, all, problem) -> {
                if (value.asLong() % 4 != 0) {
                    problem.accept(path, "must be a multiple of 4, got " + value);
                }
            }),
            new Setting("dedup.bands", 16, atLeast(1), (path, value, all, problem) -> {
                JsonNode rows = given(all, "dedup.rows");
                JsonNode permutations = given(all, "dedup.permutations");
                if (rows != null && permutations != null && value.asLong() * rows.asLong() > permutations.asLong()) {
                    problem.accept(path, "dedup.bands * dedup.rows must not exceed dedup.permutations, got " + value
                            + " * " + rows + " > " + permutations);
                }
            }),
            new Setting("dedup.rows", 8, atLeast(1)),
            new Setting("dedup.threshold", 0.8, (path, value, all, problem) -> {
                if (!(value.asDouble() > 0 && value.asDouble() <= 1)) {
                    problem.accept(path, "must be in (0, 1], got " + value);
                }
            }),
            new Setting("dedup.seed", SEED),
            new Setting("quality.minWords", 50, atLeast(0)),
            new Setting("quality.maxWords", 100_000, (path, value, all, problem) -> {
                JsonNode min = given(all, "quality.minWords");
                if (min != null && value.asLong() < min.asLong()) {
                    problem.accept(path, "must not be below quality.minWords");
                }
            }),
            new Setting("quality.minMeanWordLength", 3.0),
            new Setting("quality.maxMeanWordLength", 10.0),
            new Setting("quality.maxSymbolToWordRatio", 0.1),
            new Setting("quality.maxEllipsisLineFraction", 0.3),
            new Setting("quality.maxBulletLineFraction", 0.9),
            new Setting("quality.maxDuplicateLineFraction", 0.3),
            new Setting("quality.maxDuplicateParagraphFraction", 0.3),
            new Setting("quality.maxTopNgramFraction", List.of(0.20, 0.18, 0.16), size(3, "n = 2, 3, 4")),
            new Setting("quality.maxDuplicateNgramFraction", List.of(0.15, 0.14, 0.13, 0.12, 0.11, 0.10),
                    size(6, "n = 5 ... 10")),
            new Setting("quality.minAlphabeticFraction", 0.8),
            new Setting("quality.languages", List.of("en", "zh"), (path, value, all, problem) -> {
                for (int i = 0; i < value.size(); i++) {
                    oneOf(List.of("en", "zh", "other")).check(path + "[" + i + "]", value.get(i), all, problem);
                }
            }),
            new Setting("quality.rejectedSamples", 5, atLeast(0)),
            new Setting("remix.documents", 0L, atLeast(0), atMost(MAX_DOCUMENTS_PER_STAGE)),
            new Setting("remix.domainWeights", Map.of(), weights()),
            new Setting("remix.languageWeights", Map.of(), weights()),
            new Setting("remix.seed", SEED));

    private DataSettings() {
    }

    /** The defaults as a settings tree, e.g. {@code {"dedup": {"bands": 16, ...}, ...}}; absent-means-off ones left out. */
    public static ObjectNode defaults() {
        ObjectNode tree = JSON.createObjectNode();
        for (Setting setting : SETTINGS) {
            if (setting.defaultValue() != null) {
                String[] parts = setting.path().split("\\.");
                ObjectNode parent = tree;
                for (int i = 0; i < parts.length - 1; i++) {
                    parent = parent.has(parts[i]) ? (ObjectNode) parent.get(parts[i]) : parent.putObject(parts[i]);
                }
                parent.set(parts[parts.length - 1], JSON.valueToTree(setting.defaultValue()));
            }
        }
        return tree;
    }

    /**
     * The problems of {@code settings} (a tree shaped like {@link #defaults()}), each named {@code prefix} + its
     * path. {@code complete}: every setting with a default must be given (the worker's view, after the defaults were
     * laid under it); otherwise an absent setting is fine and a rule across settings waits until all are given.
     */
    public static List<SpecProblem> problems(String prefix, JsonNode settings, boolean complete) {
        List<SpecProblem> problems = new ArrayList<>();
        BiConsumer<String, String> problem = (path, message) -> problems.add(new SpecProblem(prefix + path, message));
        for (Setting setting : SETTINGS) {
            JsonNode value = given(settings, setting.path());
            if (value == null) {
                if (complete && setting.defaultValue() != null) {
                    problem.accept(setting.path(), "must be set");
                }
                continue;
            }
            for (Rule rule : setting.rules()) {
                rule.check(setting.path(), value, settings, problem);
            }
        }
        return problems;
    }

    /**
     * Why {@code files} source files whose names take {@code pathBytes} are more than one data stage takes, or
     * empty when they are not; the message names the field and the cap.
     */
    public static Optional<String> tooManyFiles(int files, long pathBytes) {
        if (files > MAX_RAW_DUMPS) {
            return Optional.of(String.format(Locale.ROOT, "corpus.sources: %,d files, more than the %,d one data stage "
                    + "takes (its workflow's history grows with every file); merge small files into larger ones",
                    files, MAX_RAW_DUMPS));
        }
        if (pathBytes > MAX_RAW_DUMP_PATH_BYTES) {
            return Optional.of(String.format(Locale.ROOT, "corpus.sources: the %,d files' names take %,d bytes, more "
                    + "than the %,d one data stage takes; use shorter paths or fewer files", files, pathBytes,
                    MAX_RAW_DUMP_PATH_BYTES));
        }
        return Optional.empty();
    }

    /** Why {@code files} files in {@code partitions} partitions make too many band files, or empty. */
    public static Optional<String> tooManyBandFiles(int files, int partitions) {
        long bandFiles = (long) files * partitions;
        return bandFiles <= MAX_BAND_FILES ? Optional.empty() : Optional.of(String.format(Locale.ROOT,
                "data.partitions: %,d files in %,d partitions make %,d band files, more than the %,d one data stage "
                        + "makes; ask for at most %,d partitions", files, partitions, bandFiles, MAX_BAND_FILES,
                Math.max(1, MAX_BAND_FILES / files)));
    }

    /** The value at dotted {@code path}, or null when it is absent or null. */
    private static JsonNode given(JsonNode settings, String path) {
        JsonNode value = settings == null ? null : settings.at("/" + path.replace('.', '/'));
        return value == null || value.isMissingNode() || value.isNull() ? null : value;
    }

    private static Rule atLeast(long min) {
        return (path, value, all, problem) -> {
            if (value.asLong() < min) {
                problem.accept(path, "must be at least " + min + ", got " + value);
            }
        };
    }

    private static Rule atMost(long max) {
        return (path, value, all, problem) -> {
            if (value.asLong() > max) {
                problem.accept(path, "must be at most " + max + ", got " + value);
            }
        };
    }

    private static Rule fraction() {
        return (path, value, all, problem) -> {
            if (!(value.asDouble() >= 0 && value.asDouble() <= 1)) {
                problem.accept(path, "must be in [0, 1], got " + value);
            }
        };
    }

    private static Rule oneOf(List<String> allowed) {
        return (path, value, all, problem) -> {
            if (!allowed.contains(value.asText())) {
                problem.accept(path, "must be one of " + allowed + ", got '" + value.asText() + "'");
            }
        };
    }

    private static Rule size(int n, String which) {
        return (path, value, all, problem) -> {
            if (value.size() != n) {
                problem.accept(path, "needs " + n + " values (" + which + ")");
            }
        };
    }

    private static Rule weights() {
        return (path, value, all, problem) -> value.properties().forEach(e -> {
            if (e.getValue().isNull() || e.getValue().asDouble() < 0) {
                problem.accept(path + "." + e.getKey(), "must be a weight >= 0, got " + e.getValue());
            }
        });
    }
}
