package dev.lmforge.activities.alignment;

import dev.lmforge.activities.InvalidInputException;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * The spec's {@code sft} and {@code dpo} sections, read strictly: an unknown field or a value of the wrong kind
 * is an {@link InvalidInputException} naming it. Every field is optional.
 *
 * <pre>
 * sft: {data: path.jsonl, epochs: 4, learningRate: 1e-5, schedule: cosine|constant, twoStage: false,
 *       batchSequences: 8, seed: 0}
 * dpo: {data: path.jsonl, beta: 0.1, epochs: 1, learningRate: 5e-6, schedule: cosine|constant,
 *       heldOutFraction: 0.25, seed: 0}
 * </pre>
 * {@code data} is a JSONL file on the worker ({@link AlignmentData} describes the formats); without it the
 * bundled set is used. {@code batchSequences} (even, as DPO takes a chosen and a rejected row per pair) serves
 * both phases. DPO holds out the last {@code heldOutFraction} of its pairs (at least one) for the margin and
 * accuracy figures.
 *
 * @param sft             SFT's options
 * @param sftData         the SFT file, or null for the bundled set
 * @param batchSequences  rows per optimizer step
 * @param dpo             DPO's options
 * @param dpoData         the preference file, or null for the bundled set
 * @param heldOutFraction the share of preference pairs kept out of training
 */
public record AlignmentSettings(SftOptions sft, Path sftData, int batchSequences, DpoOptions dpo, Path dpoData,
                                double heldOutFraction) {

    /** Rows per step when the spec does not say. */
    public static final int DEFAULT_BATCH_SEQUENCES = 8;
    /** Preference pairs held out when the spec does not say. */
    public static final double DEFAULT_HELD_OUT_FRACTION = 0.25;

    private static final Set<String> SFT_FIELDS = Set.of("data", "epochs", "learningRate", "schedule", "twoStage",
            "batchSequences", "seed");
    private static final Set<String> DPO_FIELDS = Set.of("data", "beta", "epochs", "learningRate", "schedule",
            "heldOutFraction", "seed");

    /** Reads both sections; null or missing sections take the defaults. */
    public static AlignmentSettings of(JsonNode sft, JsonNode dpo) {
        Section s = new Section("sft", sft, SFT_FIELDS);
        Section d = new Section("dpo", dpo, DPO_FIELDS);
        SftOptions paperSft = SftOptions.paper();
        DpoOptions paperDpo = DpoOptions.paper();
        int batch = s.integer("batchSequences", DEFAULT_BATCH_SEQUENCES);
        if (batch < 2 || batch % 2 != 0) {
            throw new InvalidInputException("sft.batchSequences must be even and at least 2, not " + batch);
        }
        double heldOut = d.number("heldOutFraction", DEFAULT_HELD_OUT_FRACTION);
        if (!(heldOut > 0 && heldOut < 1)) {
            throw new InvalidInputException("dpo.heldOutFraction must lie strictly between 0 and 1, not " + heldOut);
        }
        return new AlignmentSettings(
                new SftOptions(s.integer("epochs", paperSft.epochs()), s.number("learningRate", paperSft.learningRate()),
                        s.schedule(), s.bool("twoStage", false), s.integer("seed", 0)),
                s.path(), batch,
                new DpoOptions(d.number("beta", paperDpo.beta()), d.integer("epochs", paperDpo.epochs()),
                        d.number("learningRate", paperDpo.learningRate()), d.schedule(), d.integer("seed", 0)),
                d.path(), heldOut);
    }

    /**
     * These settings with each data file replaced by its real path as {@code readable} (field, path) allows it,
     * so nothing outside the source roots is read.
     */
    public AlignmentSettings confined(BiFunction<String, Path, Path> readable) {
        return new AlignmentSettings(sft, sftData == null ? null : readable.apply("sft.data", sftData), batchSequences,
                dpo, dpoData == null ? null : readable.apply("dpo.data", dpoData), heldOutFraction);
    }

    /** The pairs DPO trains on and those it holds out: the last {@link #heldOutFraction} (at least one each). */
    public List<List<PreferencePair>> split(List<PreferencePair> pairs) {
        if (pairs.size() < 2) {
            throw new InvalidInputException("dpo.data needs at least 2 preference pairs (one to train on, one to "
                    + "hold out), not " + pairs.size());
        }
        int heldOut = Math.min(pairs.size() - 1, Math.max(1, (int) Math.round(heldOutFraction * pairs.size())));
        return List.of(pairs.subList(0, pairs.size() - heldOut), pairs.subList(pairs.size() - heldOut, pairs.size()));
    }

    /** One section's fields, checked against the names it may hold. */
    private record Section(String name, JsonNode node, Set<String> fields) {

        Section {
            if (node != null && !node.isNull()) {
                if (!node.isObject()) {
                    throw new InvalidInputException(name + " must be an object");
                }
                for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                    String field = it.next();
                    if (!fields.contains(field)) {
                        throw new InvalidInputException(name + "." + field + " is not a known field; expected one of "
                                + fields.stream().sorted().toList());
                    }
                }
            }
        }

        private JsonNode get(String field) {
            JsonNode value = node == null ? null : node.get(field);
            return value == null || value.isNull() ? null : value;
        }

        int integer(String field, int fallback) {
            JsonNode value = get(field);
            if (value == null) {
                return fallback;
            }
            if (!value.canConvertToInt() || !value.isIntegralNumber()) {
                throw new InvalidInputException(name + "." + field + " must be an integer, not " + value);
            }
            return value.intValue();
        }

        double number(String field, double fallback) {
            JsonNode value = get(field);
            if (value == null) {
                return fallback;
            }
            if (!value.isNumber()) {
                throw new InvalidInputException(name + "." + field + " must be a number, not " + value);
            }
            return value.doubleValue();
        }

        boolean bool(String field, boolean fallback) {
            JsonNode value = get(field);
            if (value == null) {
                return fallback;
            }
            if (!value.isBoolean()) {
                throw new InvalidInputException(name + "." + field + " must be true or false, not " + value);
            }
            return value.booleanValue();
        }

        LearningRateShape schedule() {
            JsonNode value = get("schedule");
            if (value == null) {
                return LearningRateShape.COSINE;
            }
            for (LearningRateShape shape : LearningRateShape.values()) {
                if (shape.name().toLowerCase(Locale.ROOT).equals(value.asText())) {
                    return shape;
                }
            }
            throw new InvalidInputException(name + ".schedule must be cosine or constant, not " + value);
        }

        Path path() {
            JsonNode value = get("data");
            if (value == null) {
                return null;
            }
            if (!value.isTextual() || value.asText().isBlank()) {
                throw new InvalidInputException(name + ".data must be a file path, not " + value);
            }
            return Path.of(value.asText());
        }
    }
}
