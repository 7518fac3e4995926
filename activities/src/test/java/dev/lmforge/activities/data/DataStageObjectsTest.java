package dev.lmforge.activities.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.activities.RealStageRuntime;
import dev.lmforge.activities.StageRuntime;
import dev.lmforge.services.RealStack;
import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.ledger.Records.NewRun;
import dev.lmforge.services.ledger.Records.StoredObjectRecord;
import dev.lmforge.workflows.data.DataWorkflow;
import dev.lmforge.workflows.data.DataWorkflowImpl;
import dev.lmforge.workflows.data.DataWorkflowInput;
import dev.lmforge.workflows.stage.CorpusSource;
import dev.lmforge.workflows.stage.DataStage;
import dev.lmforge.workflows.stage.DataStageConfig;
import dev.lmforge.workflows.stage.RawDump;
import dev.lmforge.workflows.stage.StageInput;
import dev.lmforge.workflows.stage.StageOutput;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.messages.Item;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestActivityEnvironment;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * After a small data stage (two of the sample dumps, through the real data workflow on Temporal's test server, a
 * real PostgreSQL and S3 server), every object in the bucket is recorded in the ledger's stored objects with the run
 * that wrote it, the intermediates with the data stage's row, and every object says what it is to S3 tools.
 */
class DataStageObjectsTest {

    static final Path SAMPLES = Path.of("../samples/corpus").toAbsolutePath().normalize();
    static final String RUN = "run-objects";
    static final String LIFECYCLE = "lifecycle-" + RUN;
    static final String BUCKET = "lmforge";

    @TempDir
    static Path dir;
    static RealStageRuntime stack;
    static TestWorkflowEnvironment env;

    @BeforeAll
    static void start() {
        stack = new RealStageRuntime(dir);
        env = TestWorkflowEnvironment.newInstance();
        Worker worker = env.newWorker("cpu");
        worker.registerWorkflowImplementationTypes(DataWorkflowImpl.class);
        worker.registerActivitiesImplementations(new DataStepActivities(stack.runtime()));
        env.start();
    }

    @AfterAll
    static void stop() {
        env.close();
        stack.close();
    }

    private static Map<String, Long> bucketObjects() throws Exception {
        Map<String, Long> objects = new TreeMap<>();
        for (Result<Item> r : raw().listObjects(ListObjectsArgs.builder().bucket(BUCKET).recursive(true).build())) {
            objects.put(r.get().objectName(), r.get().size());
        }
        return objects;
    }

    private static MinioClient raw() {
        return MinioClient.builder().endpoint(stack.s3Endpoint())
                .credentials(RealStack.ACCESS_KEY, RealStack.SECRET_KEY).region("us-east-1").build();
    }

    @Test
    void everyObjectADataStageWritesIsRecordedWithItsWriter() throws Exception {
        StageRuntime runtime = stack.runtime();
        runtime.ledger().runs().createRun(new NewRun(RUN, "t", null, "alice", "{}", "", List.of(), null));
        runtime.ledger().runs().setWorkflowIds(RUN, LIFECYCLE, "temporal-run");
        TestActivityEnvironment snapshots = TestActivityEnvironment.newInstance();
        List<RawDump> dumps;
        try {
            snapshots.registerActivitiesImplementations(new DataStageActivities(runtime));
            dumps = snapshots.newActivityStub(DataStage.class, ActivityOptions.newBuilder()
                    .setStartToCloseTimeout(Duration.ofMinutes(1)).build()).snapshotSources(RUN, List.of(
                    new CorpusSource(SAMPLES.resolve("dump-2024-01.jsonl").toString(), null, null, null),
                    new CorpusSource(SAMPLES.resolve("dump-2024-02.jsonl.gz").toString(), null, null, null)));
        } finally {
            snapshots.close();
        }
        long row = runtime.ledger().runs().beginStage(RUN, "data", 1, "key-" + RUN, "{}", Map.of(), null);
        StageInput input = new StageInput(RUN, row, "data",
                new ObjectMapper().valueToTree(new DataStageConfig(null, dumps)), Map.of());
        StageOutput output = env.getWorkflowClient().newWorkflowStub(DataWorkflow.class, WorkflowOptions.newBuilder()
                        .setTaskQueue("cpu").setWorkflowId(DataWorkflowInput.workflowId(LIFECYCLE)).build())
                .run(new DataWorkflowInput(input, "cpu"));
        assertFalse(output.outputs().isEmpty());

        Map<String, Long> inBucket = bucketObjects();
        List<StoredObjectRecord> recorded = runtime.ledger().artifacts().storedObjects(RUN);
        Map<String, Long> recordedKeys = new TreeMap<>();
        recorded.forEach(o -> recordedKeys.put(ArtifactStore.keyOf(o.digest()), o.sizeBytes()));
        assertEquals(inBucket, recordedKeys, "every object in the bucket is recorded, with its size, and only those");

        Map<String, Set<String>> kinds = new HashMap<>();
        for (StoredObjectRecord o : recorded) {
            kinds.computeIfAbsent(o.kind(), k -> new TreeSet<>()).add(o.digest());
            assertEquals("data", o.stage(), o.kind());
            assertEquals(o.kind().equals("raw-dump") ? null : (Long) row, o.stageId(),
                    o.kind() + ": a snapshot precedes its stage row; everything after belongs to it");
        }
        assertTrue(kinds.keySet().containsAll(Set.of("raw-dump", "band-file", "pair-file", "removal-list",
                "filtered-shard", "quality-stats", "duplicate-clusters", "corpus-part", "corpus", "data-report")),
                kinds.keySet().toString());

        Map<String, String> contentTypes = Map.of("band-file", "application/octet-stream",
                "filtered-shard", "application/x-ndjson", "corpus", "application/json");
        for (Map.Entry<String, String> expected : contentTypes.entrySet()) {
            String digest = kinds.get(expected.getKey()).iterator().next();
            StatObjectResponse stat = raw().statObject(StatObjectArgs.builder().bucket(BUCKET)
                    .object(ArtifactStore.keyOf(digest)).build());
            Map<String, String> metadata = stat.userMetadata().entrySet().stream().collect(Collectors.toMap(
                    e -> e.getKey().toLowerCase(Locale.ROOT), Map.Entry::getValue, (a, b) -> a));
            assertEquals(expected.getValue(), stat.contentType(), expected.getKey());
            assertEquals(RUN, metadata.get("lmforge-run"), expected.getKey());
            assertEquals("data", metadata.get("lmforge-stage"), expected.getKey());
            assertEquals("sha256:" + digest, metadata.get("lmforge-digest"), expected.getKey());
        }
        Set<String> gzipped = kinds.get("raw-dump").stream().filter(d -> {
            try {
                return raw().statObject(StatObjectArgs.builder().bucket(BUCKET).object(ArtifactStore.keyOf(d)).build())
                        .contentType().equals("application/gzip");
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }).collect(Collectors.toSet());
        assertEquals(1, gzipped.size(), "the .jsonl.gz dump is typed by its file name");
    }
}
