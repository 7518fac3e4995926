package dev.lmforge.activities;

import dev.lmforge.workflows.spec.DataSettings;
import java.util.function.Function;

/**
 * How much one stage attempt on a compute worker may read out of its sources and write to its scratch folder,
 * whatever the spec says: a spec comes from someone who may want to fill the worker's disk (a 3 MB gzip can hold
 * 1 GB of lines, and deduplication writes several bytes of band keys per byte read). The worker's operator sets
 * them; exceeding one fails the attempt as bad input, naming the cap and the setting that raises it.
 *
 * @param maxExpandedBytes  bytes read after decompression, over all sources of an attempt
 *                          ({@code lmforge.limits.expanded-bytes})
 * @param maxExpansionRatio decompressed bytes per compressed byte of one file, checked once a file has expanded
 *                          past {@link #RATIO_GRACE_BYTES} ({@code lmforge.limits.expansion-ratio}); text
 *                          compresses 3-10x, a bomb 100-1000x
 * @param maxDocuments      documents read over all sources of an attempt ({@code lmforge.limits.documents})
 * @param maxTempBytes      bytes in one data step's scratch folder at any time ({@code lmforge.limits.temp-bytes})
 */
public record AttemptCaps(long maxExpandedBytes, long maxExpansionRatio, long maxDocuments, long maxTempBytes) {

    /** The default caps: far above the bundled corpus, within one worker's disk budget for a data stage. */
    public static final AttemptCaps DEFAULT = new AttemptCaps(64L << 30, 100,
            DataSettings.MAX_DOCUMENTS_PER_STAGE, 64L << 30);
    /** A file may expand this far before its ratio is judged, so tiny, very compressible files pass. */
    public static final long RATIO_GRACE_BYTES = 16L << 20;

    /** Caps on reading only, e.g. for a test of the reader. */
    public AttemptCaps(long maxExpandedBytes, long maxExpansionRatio, long maxDocuments) {
        this(maxExpandedBytes, maxExpansionRatio, maxDocuments, DEFAULT.maxTempBytes);
    }

    /** The caps configured through {@code lookup} (null for an unset key), the defaults for unset ones. */
    public static AttemptCaps from(Function<String, String> lookup) {
        return new AttemptCaps(positive(lookup, "lmforge.limits.expanded-bytes", DEFAULT.maxExpandedBytes),
                positive(lookup, "lmforge.limits.expansion-ratio", DEFAULT.maxExpansionRatio),
                positive(lookup, "lmforge.limits.documents", DEFAULT.maxDocuments),
                positive(lookup, "lmforge.limits.temp-bytes", DEFAULT.maxTempBytes));
    }

    private static long positive(Function<String, String> lookup, String key, long fallback) {
        String value = lookup.apply(key);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            long parsed = Long.parseLong(value.strip());
            if (parsed > 0) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // refused below, naming the key
        }
        throw new IllegalArgumentException(key + " must be a positive whole number, not '" + value + "'");
    }
}
