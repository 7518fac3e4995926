package dev.lmforge.activities.data;

import dev.lmforge.activities.text.ReadStats;
import java.util.List;
import java.util.Map;

/**
 * Everything one run of the data stage did, written as JSON next to its output.
 *
 * @param format     {@code "lmforge-data-report/1"}
 * @param inputs     the input files, in shard order
 * @param steps      documents after each step: {@code read}, {@code deduplicated}, {@code filtered}, {@code remixed}
 * @param reading    records, bytes and errors (with file and line) of the inputs
 * @param dedup      the Table-1-style rates, exact and near removals, and the largest clusters with the kept document
 * @param quality    rejections per rule, with samples
 * @param remix      the mix before and after, the sampling factors, and targets that could not be met
 * @param outputs    the output shards with their digests
 * @param duplicates the file, next to the shards, listing every duplicate cluster with the document kept and why
 * @param config     the settings used
 */
public record DataReport(String format, List<String> inputs, Map<String, Long> steps, ReadStats reading,
                         DedupResult dedup, Quality quality, Remix remix, List<Output> outputs, String duplicates,
                         DataConfig config) {

    public static final String FORMAT = "lmforge-data-report/1";

    /**
     * What the quality filter did.
     *
     * @param input    documents that reached the filter
     * @param kept     documents it kept
     * @param rejected rejections per rule
     * @param samples  rejected documents with their reason
     */
    public record Quality(long input, long kept, Map<QualityFilter.Rule, Long> rejected, List<QualityFilter.Rejected> samples) {
    }

    /**
     * What remixing did.
     *
     * @param before  the mix after filtering
     * @param after   the mix written
     * @param factors expected copies per document, by domain then language
     * @param notes   targets that could not be met
     */
    public record Remix(Mix.Summary before, Mix.Summary after, Map<String, Map<String, Double>> factors, List<String> notes) {
    }

    /**
     * One output shard.
     *
     * @param file      the output shard
     * @param documents documents in it
     * @param bytes     its size
     * @param sha256    its digest, in hex
     */
    public record Output(String file, long documents, long bytes, String sha256) {
    }
}
