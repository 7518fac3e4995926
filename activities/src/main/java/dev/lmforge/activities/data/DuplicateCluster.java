package dev.lmforge.activities.data;

import java.util.List;

/**
 * A group of documents found to be copies of each other, and which one was kept.
 *
 * @param keptId   the surviving document's id
 * @param keptDump its dump
 * @param reason   why it was kept, e.g. {@code "earliest dump (2024-01) among 3 copies"}
 * @param size     documents in the cluster, the kept one included
 * @param removed  the removed documents (in a {@link DedupResult}, the first {@link #LISTED} of them)
 */
public record DuplicateCluster(String keptId, String keptDump, String reason, int size, List<Removed> removed) {

    /** How many removed members a cluster in a {@link DedupResult} lists. */
    public static final int LISTED = 10;

    /**
     * @param id   a removed document
     * @param dump its dump
     * @param kind {@code "exact"} when it is an exact copy of the kept document, else {@code "near"}
     */
    public record Removed(String id, String dump, String kind) {
    }
}
