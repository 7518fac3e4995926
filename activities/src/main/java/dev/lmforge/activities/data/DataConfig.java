package dev.lmforge.activities.data;

import dev.lmforge.activities.text.ReadingLimits;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.lmforge.workflows.spec.DataSettings;
import dev.lmforge.workflows.spec.LifecycleSpec;
import dev.lmforge.workflows.spec.SpecProblem;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Every setting of the data stage in one record that Jackson reads from JSON or YAML; their defaults and ranges are
 * {@link DataSettings}', shared with the spec validator. A file need only name the settings it changes: {@link #load}
 * lays it over {@link #defaults()}, and an unknown name is an error.
 *
 * @param reading    limits on bad input
 * @param dedup      exact and MinHash near-duplicate removal
 * @param quality    the heuristic quality rules
 * @param remix      the target mix
 * @param partitions how many partitions the LSH band keys are shuffled into (the result does not depend on it)
 */
public record DataConfig(ReadingLimits reading, Dedup dedup, Quality quality, Remix remix, int partitions) {

    private static final ObjectMapper TREE_JSON = new ObjectMapper();
    /** Leaves out the settings a spec does not give, so that the defaults' stay. */
    private static final ObjectMapper SPEC_JSON = new ObjectMapper().setSerializationInclusion(JsonInclude.Include.NON_NULL);

    /**
     * Deduplication settings.
     *
     * @param near         whether to remove near duplicates too (exact duplicates are always removed)
     * @param shingles     word shingles (CJK characters count as words) or character shingles
     * @param shingleSize  tokens (or characters) per shingle
     * @param permutations MinHash values per signature, a multiple of 4; similarity is estimated over all of them
     * @param bands        LSH bands; a pair becomes a candidate when one band's values all agree
     * @param rows         values per band; {@code bands * rows <= permutations}
     * @param threshold    estimated Jaccard similarity at or above which a candidate pair is a duplicate
     * @param seed         seeds the hash permutations, so signatures are reproducible
     * @param keep         which document of a duplicate cluster survives
     */
    public record Dedup(boolean near, ShingleMode shingles, int shingleSize, int permutations, int bands, int rows,
                        double threshold, long seed, KeepPolicy keep) {
    }

    /** How documents are cut into shingles. */
    public enum ShingleMode { WORD, CHARACTER }

    /** Which member of a duplicate cluster is kept; ties go to the earlier input shard, then the earlier line. */
    public enum KeepPolicy { EARLIEST_DUMP, LATEST_DUMP }

    /**
     * Thresholds of the quality rules; the defaults are Gopher's quality filters (Rae et al. 2021, MassiveText).
     *
     * @param minWords                  fewer words (a CJK character counts as one) is too short
     * @param maxWords                  more words is too long
     * @param minMeanWordLength         for text mostly in Latin-like words: shortest mean word length
     * @param maxMeanWordLength         and longest
     * @param maxSymbolToWordRatio      hash signs and ellipses ("..." or "…") per word
     * @param maxEllipsisLineFraction   share of lines ending in "..." or "…"
     * @param maxBulletLineFraction     share of lines starting with a bullet
     * @param maxDuplicateLineFraction  share of lines that repeat an earlier line
     * @param maxDuplicateParagraphFraction share of paragraphs that repeat an earlier paragraph
     * @param maxTopNgramFraction       for n = 2, 3, 4: share of word characters covered by the most frequent n-gram
     * @param maxDuplicateNgramFraction for n = 5 ... 10: share of word characters inside repeated n-grams
     * @param minAlphabeticFraction     share of words holding at least one letter
     * @param languages                 languages kept ({@code en}, {@code zh}, {@code other}); empty keeps all
     * @param rejectedSamples           how many rejected documents per rule the report keeps for auditing
     */
    public record Quality(int minWords, int maxWords, double minMeanWordLength, double maxMeanWordLength,
                          double maxSymbolToWordRatio, double maxEllipsisLineFraction, double maxBulletLineFraction,
                          double maxDuplicateLineFraction, double maxDuplicateParagraphFraction,
                          List<Double> maxTopNgramFraction, List<Double> maxDuplicateNgramFraction,
                          double minAlphabeticFraction, List<String> languages, int rejectedSamples) {
    }

    /**
     * The target mix.
     *
     * @param domainWeights   target share per domain; empty keeps the natural shares; a domain not named is dropped
     * @param languageWeights target share per language, in the same way
     * @param documents       documents wanted in the output; 0 keeps the count after filtering
     * @param seed            seeds the sampling
     */
    public record Remix(Map<String, Double> domainWeights, Map<String, Double> languageWeights, long documents,
                        long seed) {
    }

    /** The defaults, as {@link DataSettings} gives them. */
    public static DataConfig defaults() {
        try {
            return TREE_JSON.treeToValue(DataSettings.defaults(), DataConfig.class).validated();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("DataSettings' defaults do not fit DataConfig", e);
        }
    }

    /** Reads a JSON or YAML file over the defaults; a bad value or unknown name is an error naming the file. */
    public static DataConfig load(Path file) throws IOException {
        JsonNode given;
        try {
            given = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());   // YAML is a superset of JSON
        } catch (IOException e) {
            throw new IOException("cannot read data config " + file + ": " + e.getMessage(), e);
        }
        try {
            return over(given);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad data config " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The settings of a lifecycle spec's {@code data} section over the defaults (absent ones keep theirs);
     * {@code maxBytesPerSecond} belongs to the stage's ingest, not to the library.
     */
    public static DataConfig from(LifecycleSpec.DataOptions options) {
        if (options == null) {
            return defaults();
        }
        ObjectNode given = SPEC_JSON.valueToTree(options);
        given.remove("maxBytesPerSecond");
        return over(given);
    }

    /** The settings named in {@code given} laid over the defaults; an unknown name or bad value is an error. */
    private static DataConfig over(JsonNode given) {
        JsonNode merged = TREE_JSON.valueToTree(defaults());
        if (given != null && !given.isMissingNode() && !given.isNull()) {
            if (!given.isObject()) {
                throw new IllegalArgumentException("a data config must be a mapping of settings");
            }
            overlay((ObjectNode) merged, given, "");
        }
        try {
            return TREE_JSON.treeToValue(merged, DataConfig.class).validated();
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    private static void overlay(ObjectNode base, JsonNode given, String path) {
        for (Map.Entry<String, JsonNode> field : given.properties()) {
            String name = path + field.getKey();
            JsonNode current = base.get(field.getKey());
            if (current == null) {
                throw new IllegalArgumentException("unknown data config setting '" + name + "'");
            }
            // Maps of weights are replaced whole; records are merged setting by setting.
            boolean isRecord = current.isObject() && !name.endsWith("Weights");
            if (isRecord && field.getValue().isObject()) {
                overlay((ObjectNode) current, field.getValue(), name + ".");
            } else {
                base.set(field.getKey(), field.getValue());
            }
        }
    }

    /** This config, or an {@link IllegalArgumentException} naming the first setting out of {@link DataSettings}' range. */
    public DataConfig validated() {
        List<SpecProblem> problems = DataSettings.problems("", TREE_JSON.valueToTree(this), true);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(problems.get(0).field() + ": " + problems.get(0).message());
        }
        return this;
    }

    /** This config with another partition count (the scale-out knob; the result does not change). */
    public DataConfig withPartitions(int p) {
        return new DataConfig(reading, dedup, quality, remix, p).validated();
    }
}
