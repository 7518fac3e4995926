package dev.lmforge.workflows.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lmforge.workflows.spec.DataSettings;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.StageInput;
import dev.lmforge.workflows.stage.StageOutput;
import io.temporal.api.history.v1.History;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The widest data stages that {@link DataSettings}' caps let through stay inside what a real Temporal server
 * enforces: 51,200 events and 50 MB of history, 2 MB per payload, 4 MB per workflow task's commands (the in-memory
 * test server enforces this last one too: before the data workflow's windows, 2,000 shards failed it). The in-memory
 * steps return records of the sizes the real ones write: 64-digit digests, a config twice the 720 bytes of the
 * default settings' JSON, source paths that use up {@link DataSettings#MAX_RAW_DUMP_PATH_BYTES}.
 */
class DataWorkflowLimitsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int EVENT_LIMIT = 51_200;
    private static final long HISTORY_BYTES_LIMIT = 50L << 20;
    private static final int PAYLOAD_LIMIT = 2 << 20;

    @ParameterizedTest(name = "{0} files in {1} partitions")
    @CsvSource({"2000, 50", "97, 1024"})
    void theWidestAcceptedDataStagesFitARealServersHistory(int files, int partitions) {
        assertEquals(List.of(), DataSettings.tooManyFiles(files, DataSettings.MAX_RAW_DUMP_PATH_BYTES).stream().toList());
        assertEquals(List.of(), DataSettings.tooManyBandFiles(files, partitions).stream().toList());
        TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance();
        Worker worker = env.newWorker("cpu");
        worker.registerWorkflowImplementationTypes(DataWorkflowImpl.class);
        worker.registerActivitiesImplementations(new InMemorySteps(files, partitions));
        env.start();
        try {
            DataWorkflow workflow = env.getWorkflowClient().newWorkflowStub(DataWorkflow.class,
                    WorkflowOptions.newBuilder().setTaskQueue("cpu").setWorkflowId("widest-data").build());
            StageOutput out = workflow.run(new DataWorkflowInput(
                    new StageInput("run-1", 7, "data", JSON.nullNode(), Map.of()), "cpu"));
            assertEquals("corpus", out.outputs().get("corpus").kind());

            History history = env.getWorkflowClient().fetchHistory("widest-data").getHistory();
            int largest = history.getEventsList().stream().mapToInt(HistoryEvent::getSerializedSize).max().orElse(0);
            System.out.printf("widest data stage, %d files in %d partitions: %d history events (limit %d), %d bytes "
                    + "(limit %d), largest event %d bytes (limit %d)%n", files, partitions, history.getEventsCount(),
                    EVENT_LIMIT, history.getSerializedSize(), HISTORY_BYTES_LIMIT, largest, PAYLOAD_LIMIT);
            // The test server folds completions into few workflow tasks; a real one may run a workflow task (three
            // events) per activity completion (three events), so twice the events is the bound to stay under.
            assertTrue(2L * history.getEventsCount() < EVENT_LIMIT, history.getEventsCount() + " events");
            assertTrue(history.getSerializedSize() < HISTORY_BYTES_LIMIT, history.getSerializedSize() + " bytes");
            assertTrue(largest < PAYLOAD_LIMIT, "largest event " + largest + " bytes");
        } finally {
            env.close();
        }
    }

    @Test
    void largerDataStagesAreRefusedNamingTheField() {
        assertTrue(DataSettings.tooManyFiles(DataSettings.MAX_RAW_DUMPS + 1, 0).orElseThrow()
                .startsWith("corpus.sources: 2,001 files, more than the 2,000"));
        assertTrue(DataSettings.tooManyFiles(10, DataSettings.MAX_RAW_DUMP_PATH_BYTES + 1).orElseThrow()
                .startsWith("corpus.sources: the 10 files' names take 262,145 bytes"));
        assertEquals("data.partitions: 2,000 files in 51 partitions make 102,000 band files, more than the 100,000 "
                + "one data stage makes; ask for at most 50 partitions",
                DataSettings.tooManyBandFiles(2_000, 51).orElseThrow());
    }

    private static String digest(String seed) {
        return String.format("%064x", seed.hashCode() & 0xffffffffL);
    }

    /** Data steps that do nothing but return records of the real steps' sizes. */
    private record InMemorySteps(int files, int partitions) implements DataSteps {

        @Override
        public IngestedCorpus ingestDumps(StageInput input) {
            ObjectNode config = JSON.createObjectNode().put("partitions", partitions).put("settings", "x".repeat(1_440));
            int pathBytes = DataSettings.MAX_RAW_DUMP_PATH_BYTES / files;
            return new IngestedCorpus(config, partitions, IntStream.range(0, files)
                    .mapToObj(s -> new IngestedCorpus.Shard(s, String.format("raw-%04d", s),
                            String.format("/%0" + (pathBytes - 1) + "d", s), "CC-2024-10", digest("shard" + s),
                            123_456, 0)).toList(), JSON.createObjectNode().put("records", 246_912_000));
        }

        @Override
        public SignedShard signShard(JsonNode config, IngestedCorpus.Shard shard) {
            return new SignedShard(shard.index(), IntStream.range(0, partitions)
                    .mapToObj(p -> digest("bands" + shard.index() + "/" + p)).toList(),
                    JSON.createObjectNode().put("shard", shard.index()).put("input", shard.input()).put("read", 123_456));
        }

        @Override
        public String findPairs(JsonNode config, int partition, List<String> bandDigests) {
            return digest("pairs" + partition);
        }

        @Override
        public Clusters clusterPairs(JsonNode config, List<String> pairDigests, List<JsonNode> summaries) {
            return new Clusters(IntStream.range(0, files).mapToObj(s -> digest("removed" + s)).toList(),
                    digest("clusters"), JSON.createObjectNode().put("table1", "x".repeat(800)));
        }

        @Override
        public FilteredShard filterShard(JsonNode config, IngestedCorpus.Shard shard, String removalDigest) {
            return new FilteredShard(shard.index(), digest("filtered" + shard.index()), 100_000,
                    digest("quality" + shard.index()));
        }

        @Override
        public JsonNode planRemix(JsonNode config, List<String> quality) {
            return JSON.createObjectNode().put("weights", "x".repeat(500));
        }

        @Override
        public RemixedShard remixShard(JsonNode config, FilteredShard shard, JsonNode plan) {
            return new RemixedShard(shard.shard(), digest("part" + shard.shard()), 1_000_000, 100_000, 900_000,
                    JSON.createObjectNode().put("web", 0.9).put("code", 0.1));
        }

        @Override
        public StageOutput finishData(StageInput input, IngestedCorpus corpus, Clusters clusters,
                                      List<FilteredShard> filtered, JsonNode plan, List<RemixedShard> remixed) {
            return new StageOutput(Map.of("corpus", new ArtifactRef(digest("corpus"), "corpus", 1)), Map.of());
        }
    }
}
