package dev.lmforge.workflows.data;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lmforge.workflows.stage.Stage;
import dev.lmforge.workflows.stage.StageOutput;
import io.temporal.workflow.Async;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Fans the data stage's steps out over shards and partitions; see {@link DataWorkflow}. Since version
 * {@code data-window} 1 each step keeps a bounded number of its activities scheduled at once: a real Temporal server
 * refuses a workflow task whose commands pass 4 MB (gRPC's message limit; 2,000 shards' worth of signings did) and a
 * workflow with more than 2,000 pending activities. How many shards and partitions fit a history at all is
 * {@link dev.lmforge.workflows.spec.DataSettings}' to say.
 */
public class DataWorkflowImpl implements DataWorkflow {

    /** Shard steps scheduled at once: each input is the config and one shard, a few KB. */
    static final int SHARD_WINDOW = 128;

    /** Pair searches scheduled at once: each input holds one band file's digest per shard, up to ~140 KB. */
    static final int PARTITION_WINDOW = 16;

    @Override
    public StageOutput run(DataWorkflowInput input) {
        boolean windowed = Workflow.getVersion("data-window", Workflow.DEFAULT_VERSION, 1) == 1;
        int shardWindow = windowed ? SHARD_WINDOW : Integer.MAX_VALUE;
        int partitionWindow = windowed ? PARTITION_WINDOW : Integer.MAX_VALUE;
        DataSteps steps = Workflow.newActivityStub(DataSteps.class, Stage.DATA.activityOptions(input.cpuQueue()));
        DataSteps.IngestedCorpus corpus = steps.ingestDumps(input.stage());
        JsonNode config = corpus.config();
        List<DataSteps.IngestedCorpus.Shard> shards = corpus.shards();

        List<DataSteps.SignedShard> signed = all(shards, shardWindow, s -> Async.function(steps::signShard, config, s));
        List<Integer> partitions = new ArrayList<>();
        for (int p = 0; p < corpus.partitions(); p++) {
            partitions.add(p);
        }
        // The shuffle: partition p's pairs come from the p-th band file of every shard.
        List<String> pairs = all(partitions, partitionWindow, p -> Async.function(steps::findPairs, config, p,
                signed.stream().map(s -> s.partitions().get(p)).toList()));
        DataSteps.Clusters clusters = steps.clusterPairs(config, pairs,
                signed.stream().map(DataSteps.SignedShard::summary).toList());

        List<DataSteps.FilteredShard> filtered = all(shards, shardWindow, s -> Async.function(steps::filterShard, config, s,
                clusters.removals().get(s.index())));
        JsonNode plan = steps.planRemix(config, filtered.stream().map(DataSteps.FilteredShard::quality).toList());
        List<DataSteps.RemixedShard> remixed = all(filtered, shardWindow, f -> Async.function(steps::remixShard, config, f, plan));
        return steps.finishData(input.stage(), corpus, clusters, filtered, plan, remixed);
    }

    /**
     * Starts one activity per item, at most {@code window} unfinished at a time (before starting one more it waits
     * for the oldest), and waits for them all; the results come in the items' order.
     */
    private static <T, R> List<R> all(List<T> items, int window, Function<T, Promise<R>> start) {
        List<Promise<R>> started = new ArrayList<>(items.size());
        for (T item : items) {
            if (started.size() >= window) {
                started.get(started.size() - window).get();
            }
            started.add(start.apply(item));
        }
        Promise.allOf(started).get();
        return started.stream().map(Promise::get).toList();
    }
}
