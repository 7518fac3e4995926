package dev.lmforge.activities.data;

/**
 * One row in the shape of the paper's Table 1: how much of a dump deduplication removes when it looks only
 * inside that dump (the paper: 22.2 % for one CommonCrawl dump), and when it looks across all dumps keeping one
 * copy per cluster (89.8 % over 91 dumps).
 *
 * @param dump               the dump's name, or {@code "all"} for the overall row
 * @param documents          documents read from it
 * @param removedWithinDump  removed by deduplicating this dump alone
 * @param removedAcrossDumps removed from it by deduplicating all dumps together
 * @param withinDumpRate     {@code removedWithinDump / documents} (computed; any value passed in is replaced)
 * @param acrossDumpsRate    {@code removedAcrossDumps / documents} (computed likewise)
 */
public record DuplicateRates(String dump, long documents, long removedWithinDump, long removedAcrossDumps,
                             double withinDumpRate, double acrossDumpsRate) {

    public DuplicateRates {
        withinDumpRate = documents == 0 ? 0 : (double) removedWithinDump / documents;
        acrossDumpsRate = documents == 0 ? 0 : (double) removedAcrossDumps / documents;
    }

    /** The row for these counts, with its rates. */
    public static DuplicateRates of(String dump, long documents, long removedWithinDump, long removedAcrossDumps) {
        return new DuplicateRates(dump, documents, removedWithinDump, removedAcrossDumps, 0, 0);
    }
}
