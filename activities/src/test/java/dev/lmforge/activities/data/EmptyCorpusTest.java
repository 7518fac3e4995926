package dev.lmforge.activities.data;

import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.RealStageRuntime;
import dev.lmforge.activities.StageRuntime;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.services.ledger.Records.NewRun;
import dev.lmforge.workflows.data.DataSteps;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A corpus with no documents left is a stage failure naming why, not a run on nothing. */
class EmptyCorpusTest {

    @TempDir
    static Path dir;
    static RealStageRuntime stack;
    static StageRuntime runtime;

    @BeforeAll
    static void start() {
        stack = new RealStageRuntime(dir);
        runtime = stack.runtime();
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    private static final ActivityOptions ONCE = ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofMinutes(1))
            .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build()).build();

    @Test
    void sourcesWithoutDocumentsFailTheIngestWithoutRetry() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Files.writeString(empty.resolve("dump-a.jsonl"), "");
        Files.writeString(empty.resolve("dump-b.jsonl"), "");
        TestActivityEnvironment env = TestActivityEnvironment.newInstance();
        try {
            env.registerActivitiesImplementations(new DataStageActivities(runtime), new DataStepActivities(runtime));
            List<RawDump> dumps = env.newActivityStub(DataStage.class, ONCE)
                    .snapshotSources("run-empty", List.of(new CorpusSource(empty.toString(), null, null, null)));
            assertEquals(2, dumps.size());
            runtime.ledger().runs().createRun(new NewRun("run-empty", "t", null, "alice", "{}", "", List.of(), null));
            long row = runtime.ledger().runs().beginStage("run-empty", "data", 1, "key-run-empty", "{}", Map.of(), null);
            StageInput input = new StageInput("run-empty", row, "data",
                    new ObjectMapper().valueToTree(new DataStageConfig(null, dumps)), Map.of());
            ActivityFailure failure = assertThrows(ActivityFailure.class,
                    () -> env.newActivityStub(DataSteps.class, ONCE).ingestDumps(input));
            ApplicationFailure cause = (ApplicationFailure) failure.getCause();
            assertTrue(cause.isNonRetryable());
            assertEquals(StageFailures.INVALID_INPUT, cause.getType());
            assertTrue(cause.getOriginalMessage().startsWith("corpus.sources: the 2 source file(s) hold no documents"),
                    cause.getOriginalMessage());
        } finally {
            env.close();
        }
    }

    @Test
    void aCorpusTheFiltersRejectEntirelyIsRefusedByName() throws Exception {
        List<Path> dumps = new SyntheticCorpus(3).writeDumps(dir.resolve("in"), 2, 20_000, 0.1, 0.1).stream()
                .map(SyntheticCorpus.Dump::file).toList();
        Path strict = dir.resolve("strict.yaml");
        Files.writeString(strict, "quality:\n  minWords: 1000000\n  maxWords: 2000000\n");
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> new DataPipeline(DataConfig.load(strict)).run(dumps, dir.resolve("out")));
        assertTrue(e.getMessage().startsWith("data.quality: the quality filters rejected all "), e.getMessage());
        assertTrue(e.getMessage().contains("TOO_SHORT"), e.getMessage());
        assertFalse(Files.exists(DataPipeline.outputFile(dir.resolve("out"), 0)));
    }
}
