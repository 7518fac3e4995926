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

/** Fans the data stage's steps out over shards and partitions; see {@link DataWorkflow}. */
public class DataWorkflowImpl implements DataWorkflow {

    @Override
    public StageOutput run(DataWorkflowInput input) {
        DataSteps steps = Workflow.newActivityStub(DataSteps.class, Stage.DATA.activityOptions(input.cpuQueue()));
        DataSteps.IngestedCorpus corpus = steps.ingestDumps(input.stage());
        JsonNode config = corpus.config();
        List<DataSteps.IngestedCorpus.Shard> shards = corpus.shards();

        List<DataSteps.SignedShard> signed = all(shards, s -> Async.function(steps::signShard, config, s));
        List<Integer> partitions = new ArrayList<>();
        for (int p = 0; p < corpus.partitions(); p++) {
            partitions.add(p);
        }
        // The shuffle: partition p's pairs come from the p-th band file of every shard.
        List<String> pairs = all(partitions, p -> Async.function(steps::findPairs, config, p,
                signed.stream().map(s -> s.partitions().get(p)).toList()));
        DataSteps.Clusters clusters = steps.clusterPairs(config, pairs,
                signed.stream().map(DataSteps.SignedShard::summary).toList());

        List<DataSteps.FilteredShard> filtered = all(shards, s -> Async.function(steps::filterShard, config, s,
                clusters.removals().get(s.index())));
        JsonNode plan = steps.planRemix(config, filtered.stream().map(DataSteps.FilteredShard::quality).toList());
        List<DataSteps.RemixedShard> remixed = all(filtered, f -> Async.function(steps::remixShard, config, f, plan));
        return steps.finishData(input.stage(), corpus, clusters, filtered, plan, remixed);
    }

    /** Starts one activity per item and waits for them all; the results come in the items' order. */
    private static <T, R> List<R> all(List<T> items, Function<T, Promise<R>> start) {
        List<Promise<R>> started = items.stream().map(start).toList();
        Promise.allOf(started).get();
        return started.stream().map(Promise::get).toList();
    }
}
