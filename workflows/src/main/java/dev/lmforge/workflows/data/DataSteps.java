package dev.lmforge.workflows.data;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lmforge.workflows.stage.StageInput;
import dev.lmforge.workflows.stage.StageOutput;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/**
 * The data workflow's activities. Each writes its outputs as content-addressed artifacts and returns their
 * digests, so a retry (on any worker) writes the same bytes and returns the same answer. {@code config} is the
 * data library's resolved settings as {@link #ingestDumps} returned them; the JSON values ({@code summary},
 * {@code result}, {@code plan}, ...) are the library's records, small and bounded, which the workflow only
 * passes along.
 */
@ActivityInterface
public interface DataSteps {

    /**
     * Reads every raw dump of the stage into one normalised JSONL shard (checkpointed after each, so a retry
     * resumes) and resolves the settings; the stage's only activity that the ledger records as an attempt.
     */
    @ActivityMethod
    IngestedCorpus ingestDumps(StageInput input);

    /** Step (a): a shard's exact digests and MinHash band keys, one artifact per partition. */
    @ActivityMethod
    SignedShard signShard(JsonNode config, IngestedCorpus.Shard shard);

    /** Step (b): the verified duplicate pairs of one partition, from every shard's file for it; the pairs' digest. */
    @ActivityMethod
    String findPairs(JsonNode config, int partition, List<String> bandDigests);

    /** Step (c): clusters from every partition's pairs; one removal list per shard and the list of clusters. */
    @ActivityMethod
    Clusters clusterPairs(JsonNode config, List<String> pairDigests, List<JsonNode> summaries);

    /** Step (d) and the quality filter: a shard without its removed documents, then without rejected ones. */
    @ActivityMethod
    FilteredShard filterShard(JsonNode config, IngestedCorpus.Shard shard, String removalDigest);

    /** The remix plan from the mix of every filtered shard (their {@link FilteredShard#quality} artifacts). */
    @ActivityMethod
    JsonNode planRemix(JsonNode config, List<String> quality);

    /** A filtered shard up- and down-sampled by the plan: the stage's corpus part. */
    @ActivityMethod
    RemixedShard remixShard(JsonNode config, FilteredShard shard, JsonNode plan);

    /** The corpus manifest and the data report as artifacts, recorded in the ledger: the stage's output. */
    @ActivityMethod
    StageOutput finishData(StageInput input, IngestedCorpus corpus, Clusters clusters, List<FilteredShard> filtered,
                           JsonNode plan, List<RemixedShard> remixed);

    /**
     * What ingest produced.
     *
     * @param config     the data library's settings, resolved from the spec over the defaults
     * @param partitions how many partitions the band keys are shuffled into
     * @param shards     one normalised JSONL shard per raw dump, in input order
     * @param reading    records, bytes and errors (with file and line) of all dumps
     */
    record IngestedCorpus(JsonNode config, int partitions, List<Shard> shards, JsonNode reading) {

        /**
         * One shard.
         *
         * @param index     its position (the document names of deduplication use it)
         * @param input     the stage input it came from ({@code raw-0000}, ...)
         * @param path      the source file
         * @param dump      its dump
         * @param digest    the normalised JSONL artifact
         * @param documents documents in it
         * @param errors    records of the dump that could not be read
         */
        public record Shard(int index, String input, String path, String dump, String digest, long documents,
                            long errors) {
        }
    }

    /**
     * Step (a)'s result for one shard.
     *
     * @param shard      the shard's index
     * @param partitions the digest of its file for each partition, in partition order
     * @param summary    what it read (documents per dump)
     */
    record SignedShard(int shard, List<String> partitions, JsonNode summary) {
    }

    /**
     * Step (c)'s result.
     *
     * @param removals   the removal list of each shard, in shard order
     * @param duplicates every duplicate cluster with the document kept and why (JSONL)
     * @param result     the Table-1 rates and cluster counts
     */
    record Clusters(List<String> removals, String duplicates, JsonNode result) {
    }

    /**
     * A shard after deduplication and the quality filter.
     *
     * @param shard     the shard's index
     * @param digest    the filtered JSONL
     * @param survivors documents left after deduplication
     * @param quality   the filter's counts, rejected samples and mix, as a JSON artifact (samples are too big to
     *                  pass through the workflow's history once per shard)
     */
    record FilteredShard(int shard, String digest, long survivors, String quality) {
    }

    /**
     * A remixed shard: one part of the stage's corpus.
     *
     * @param shard     the shard's index
     * @param digest    the part's artifact
     * @param sizeBytes its size
     * @param documents documents in it
     * @param textBytes UTF-8 bytes of their text
     * @param mix       its mix
     */
    record RemixedShard(int shard, String digest, long sizeBytes, long documents, long textBytes, JsonNode mix) {
    }
}
