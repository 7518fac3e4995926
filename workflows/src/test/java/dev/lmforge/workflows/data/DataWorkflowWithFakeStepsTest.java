package dev.lmforge.workflows.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.StageInput;
import dev.lmforge.workflows.stage.StageOutput;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The data workflow's wiring, with in-memory fake steps that name their outputs after their inputs: one signing
 * per shard, one pair search per partition that gets that partition's file from every shard (the shuffle), one
 * clustering, and each shard's filter, remix and place in the output matched to its own removal list.
 */
class DataWorkflowWithFakeStepsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SHARDS = 3;
    private static final int PARTITIONS = 4;

    private TestWorkflowEnvironment env;
    private final List<String> calls = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void start() {
        env = TestWorkflowEnvironment.newInstance();
        Worker worker = env.newWorker("cpu");
        worker.registerWorkflowImplementationTypes(DataWorkflowImpl.class);
        worker.registerActivitiesImplementations(new FakeSteps());
        env.start();
    }

    @AfterEach
    void stop() {
        env.close();
    }

    @Test
    void eachPartitionGetsItsFileFromEveryShardAndEachShardItsOwnRemovals() {
        DataWorkflow workflow = env.getWorkflowClient().newWorkflowStub(DataWorkflow.class,
                WorkflowOptions.newBuilder().setTaskQueue("cpu").build());
        StageInput stage = new StageInput("run-1", 7, "data", JSON.nullNode(), Map.of());
        StageOutput out = workflow.run(new DataWorkflowInput(stage, "cpu"));

        List<String> sorted = new ArrayList<>(calls);
        Collections.sort(sorted);
        List<String> expected = new ArrayList<>();
        expected.add("cluster [pairs-p0, pairs-p1, pairs-p2, pairs-p3] [summary-s0, summary-s1, summary-s2]");
        for (int s = 0; s < SHARDS; s++) {
            expected.add("filter shard-" + s + " removed-s" + s);
            expected.add("remix filtered-s" + s);
            expected.add("sign shard-" + s);
        }
        for (int p = 0; p < PARTITIONS; p++) {
            expected.add("pairs " + p + " [bands-s0-p" + p + ", bands-s1-p" + p + ", bands-s2-p" + p + "]");
        }
        expected.add("plan [quality-s0, quality-s1, quality-s2]");
        Collections.sort(expected);
        assertEquals(expected, sorted);
        assertEquals("part-s0 part-s1 part-s2", out.outputs().get("corpus").digest());
    }

    /** Steps that return names built from their arguments, and log each call. */
    private final class FakeSteps implements DataSteps {

        @Override
        public IngestedCorpus ingestDumps(StageInput input) {
            ObjectNode config = JSON.createObjectNode().put("partitions", PARTITIONS);
            return new IngestedCorpus(config, PARTITIONS, IntStream.range(0, SHARDS)
                    .mapToObj(s -> new IngestedCorpus.Shard(s, "raw-000" + s, "dump" + s + ".jsonl", "d" + s, "shard-" + s, 10, 0))
                    .toList(), JSON.createObjectNode());
        }

        @Override
        public SignedShard signShard(JsonNode config, IngestedCorpus.Shard shard) {
            calls.add("sign " + shard.digest());
            return new SignedShard(shard.index(), IntStream.range(0, PARTITIONS)
                    .mapToObj(p -> "bands-s" + shard.index() + "-p" + p).toList(), JSON.getNodeFactory().textNode("summary-s" + shard.index()));
        }

        @Override
        public String findPairs(JsonNode config, int partition, List<String> bandDigests) {
            calls.add("pairs " + partition + " " + bandDigests);
            return "pairs-p" + partition;
        }

        @Override
        public Clusters clusterPairs(JsonNode config, List<String> pairDigests, List<JsonNode> summaries) {
            calls.add("cluster " + pairDigests + " " + summaries.stream().map(JsonNode::asText).toList());
            return new Clusters(IntStream.range(0, SHARDS).mapToObj(s -> "removed-s" + s).toList(), "clusters",
                    JSON.createObjectNode());
        }

        @Override
        public FilteredShard filterShard(JsonNode config, IngestedCorpus.Shard shard, String removalDigest) {
            calls.add("filter " + shard.digest() + " " + removalDigest);
            return new FilteredShard(shard.index(), "filtered-s" + shard.index(), 5, "quality-s" + shard.index());
        }

        @Override
        public JsonNode planRemix(JsonNode config, List<String> quality) {
            calls.add("plan " + quality);
            return JSON.createObjectNode();
        }

        @Override
        public RemixedShard remixShard(JsonNode config, FilteredShard shard, JsonNode plan) {
            calls.add("remix " + shard.digest());
            return new RemixedShard(shard.shard(), "part-s" + shard.shard(), 1, 1, 1, JSON.createObjectNode());
        }

        @Override
        public StageOutput finishData(StageInput input, IngestedCorpus corpus, Clusters clusters,
                                      List<FilteredShard> filtered, JsonNode plan, List<RemixedShard> remixed) {
            String parts = String.join(" ", remixed.stream().map(RemixedShard::digest).toList());
            return new StageOutput(Map.of("corpus", new ArtifactRef(parts, "corpus", 1)), Map.of());
        }
    }
}
