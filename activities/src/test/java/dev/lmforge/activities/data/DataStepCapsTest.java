package dev.lmforge.activities.data;

import dev.lmforge.activities.AttemptCaps;
import dev.lmforge.activities.RealStageRuntime;
import dev.lmforge.activities.StageRuntime;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.services.ledger.Records.NewRun;
import dev.lmforge.workflows.data.DataSteps;
import dev.lmforge.workflows.spec.LifecycleSpec;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.CorpusSource;
import dev.lmforge.workflows.stage.DataStage;
import dev.lmforge.workflows.stage.DataStageConfig;
import dev.lmforge.workflows.stage.RawDump;
import dev.lmforge.workflows.stage.StageFailures;
import dev.lmforge.workflows.stage.StageInput;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A data step that writes more scratch data than the worker allows (here the band keys of one shard of the
 * sample corpus against a 4 KiB cap) fails without retry naming the cap, and leaves no scratch folder behind.
 * On a real PostgreSQL and S3 server, through Temporal's activity test environment.
 */
class DataStepCapsTest {

    static final Path DUMP = Path.of("../samples/corpus/dump-2024-01.jsonl").toAbsolutePath().normalize();
    static final ActivityOptions ONCE = ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofMinutes(1))
            .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build()).build();

    @TempDir
    static Path dir;
    static RealStageRuntime stack;

    @BeforeAll
    static void start() {
        stack = new RealStageRuntime(dir);
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    private static List<Path> scratchFolders() throws IOException {
        try (Stream<Path> list = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return list.filter(p -> p.getFileName().toString().startsWith("lmforge-data-step")).toList();
        }
    }

    @Test
    void aStepOverItsTemporaryDiskCapStopsNamingTheCapAndCleansUp() throws Exception {
        StageRuntime runtime = stack.runtime();
        StageRuntime capped = new StageRuntime(runtime.ledger(), runtime.artifacts(), runtime.workerIdentity(),
                runtime.sources(), new AttemptCaps(AttemptCaps.DEFAULT.maxExpandedBytes(), 100,
                AttemptCaps.DEFAULT.maxDocuments(), 4096));
        TestActivityEnvironment env = TestActivityEnvironment.newInstance();
        TestActivityEnvironment cappedEnv = TestActivityEnvironment.newInstance();
        try {
            env.registerActivitiesImplementations(new DataStageActivities(runtime), new DataStepActivities(runtime));
            cappedEnv.registerActivitiesImplementations(new DataStepActivities(capped));
            List<RawDump> dumps = env.newActivityStub(DataStage.class, ONCE)
                    .snapshotSources("run-caps", List.of(new CorpusSource(DUMP.toString(), null, null, null)));
            runtime.ledger().runs().createRun(new NewRun("run-caps", "t", null, "alice", "{}", "", List.of(), null));
            long row = runtime.ledger().runs().beginStage("run-caps", "data", 1, "key-run-caps", "{}", Map.of(), null);
            StageInput input = new StageInput("run-caps", row, "data",
                    new ObjectMapper().valueToTree(new DataStageConfig(null, dumps)), Map.of());
            DataSteps.IngestedCorpus corpus = env.newActivityStub(DataSteps.class, ONCE).ingestDumps(input);
            List<Path> before = scratchFolders();

            ActivityFailure failure = assertThrows(ActivityFailure.class, () -> cappedEnv.newActivityStub(
                    DataSteps.class, ONCE).signShard(corpus.config(), corpus.shards().get(0)));
            ApplicationFailure cause = (ApplicationFailure) failure.getCause();
            assertTrue(cause.isNonRetryable());
            assertEquals(StageFailures.INVALID_INPUT, cause.getType());
            assertTrue(cause.getOriginalMessage().startsWith("data step 'sign shard 0' used "), cause.getOriginalMessage());
            assertTrue(cause.getOriginalMessage().contains("more than its cap of 4096; it was stopped "
                    + "(lmforge.limits.temp-bytes raises the cap)"), cause.getOriginalMessage());
            assertEquals(before, scratchFolders(), "the step's scratch folder is gone");
            // The same step under the default caps succeeds.
            assertEquals(0, env.newActivityStub(DataSteps.class, ONCE)
                    .signShard(corpus.config(), corpus.shards().get(0)).shard());
        } finally {
            env.close();
            cappedEnv.close();
        }
    }

    /**
     * More band files than one data stage makes (101 files in 1,000 partitions) are refused at ingest, naming
     * {@code data.partitions}, before any file is read: the dumps here are never opened.
     */
    @Test
    void anIngestOfMoreBandFilesThanAStageMakesIsRefusedNamingThePartitions() {
        RawDump dump = new RawDump(new ArtifactRef("0".repeat(64), "raw-dump", 1), "d.jsonl", "d", null, null);
        LifecycleSpec.DataOptions options = new LifecycleSpec.DataOptions(null, 1000, null, null, null, null);
        StageInput input = new StageInput("run-band-files", 1, "data", new ObjectMapper().valueToTree(
                new DataStageConfig(options, java.util.Collections.nCopies(101, dump))), Map.of());
        TestActivityEnvironment env = TestActivityEnvironment.newInstance();
        try {
            env.registerActivitiesImplementations(new DataStepActivities(stack.runtime()));
            ActivityFailure failure = assertThrows(ActivityFailure.class,
                    () -> env.newActivityStub(DataSteps.class, ONCE).ingestDumps(input));
            ApplicationFailure cause = (ApplicationFailure) failure.getCause();
            assertTrue(cause.isNonRetryable());
            assertEquals(StageFailures.INVALID_INPUT, cause.getType());
            assertTrue(cause.getOriginalMessage().startsWith("data.partitions: 101 files in 1,000 partitions make "
                    + "101,000 band files"), cause.getOriginalMessage());
        } finally {
            env.close();
        }
    }
}
