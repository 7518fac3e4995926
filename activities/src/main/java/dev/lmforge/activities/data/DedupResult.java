package dev.lmforge.activities.data;

import java.util.List;

/**
 * What deduplication found over all shards.
 *
 * @param rates          one {@link DuplicateRates} row per dump (sorted by name), then the overall row {@code "all"}
 * @param removedExact   documents removed as exact copies of the document kept in their cluster
 * @param removedNear    documents removed as near copies
 * @param candidatePairs distinct verified duplicate pairs
 * @param clusters       duplicate clusters (of two documents or more)
 * @param largest        the largest clusters (up to {@link #LISTED}), largest first
 */
public record DedupResult(List<DuplicateRates> rates, long removedExact, long removedNear, long candidatePairs,
                          long clusters, List<DuplicateCluster> largest) {

    /** How many clusters the result lists. */
    public static final int LISTED = 20;

    /** The overall row. */
    public DuplicateRates overall() {
        return rates.get(rates.size() - 1);
    }
}
