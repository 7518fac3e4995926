package dev.lmforge.activities.data;

/**
 * One row in the shape of the paper's Table 1: how much of a dump deduplication removes when it looks only
 * inside that dump, and when it looks across all dumps (keeping one copy per cluster, by default the earliest).
 *
 * @param dump               the dump's name, or {@code "all"} for the overall row
 * @param documents          documents read from it
 * @param removedWithinDump  removed by deduplicating this dump alone
 * @param removedAcrossDumps removed from it by deduplicating all dumps together
 */
public record DuplicateRates(String dump, long documents, long removedWithinDump, long removedAcrossDumps) {

    /** The within-dump deduplication rate (the paper's 22.2 % for one CommonCrawl dump). */
    public double withinDumpRate() {
        return documents == 0 ? 0 : (double) removedWithinDump / documents;
    }

    /** The across-dumps deduplication rate (the paper's 89.8 % over 91 dumps). */
    public double acrossDumpsRate() {
        return documents == 0 ? 0 : (double) removedAcrossDumps / documents;
    }
}
