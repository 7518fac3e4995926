package dev.lmforge.activities.text;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What reading some input produced: good records, their bytes, and the errors, counted by kind and the first
 * {@link #KEPT_ERRORS} kept with file and line. Stats of several shards add up with {@link #plus}.
 *
 * @param records     documents read successfully
 * @param bytes       UTF-8 bytes of their text
 * @param errorCount  records and files that could not be read
 * @param errorKinds  error count per kind (the reason up to its first colon)
 * @param errors      the first errors
 */
public record ReadStats(long records, long bytes, long errorCount, Map<String, Long> errorKinds, List<ReadError> errors) {

    /** How many errors a stats record keeps verbatim; the rest are only counted. */
    public static final int KEPT_ERRORS = 100;

    public ReadStats {
        errorKinds = new TreeMap<>(errorKinds);
        errors = List.copyOf(errors.subList(0, Math.min(errors.size(), KEPT_ERRORS)));
    }

    public static ReadStats empty() {
        return new ReadStats(0, 0, 0, Map.of(), List.of());
    }

    /** These stats and {@code other} together. */
    public ReadStats plus(ReadStats other) {
        Map<String, Long> kinds = new TreeMap<>(errorKinds);
        other.errorKinds.forEach((k, v) -> kinds.merge(k, v, Long::sum));
        List<ReadError> all = new ArrayList<>(errors);
        all.addAll(other.errors);
        return new ReadStats(records + other.records, bytes + other.bytes, errorCount + other.errorCount, kinds, all);
    }

    /** Throws {@link TooManyInputErrorsException} when errors exceed {@code maxRatio} of all attempted records. */
    public ReadStats checkErrorRatio(double maxRatio) {
        long attempted = records + errorCount;
        if (errorCount > 0 && errorCount > maxRatio * attempted) {
            throw new TooManyInputErrorsException(errorCount, attempted, maxRatio, errors);
        }
        return this;
    }
}
