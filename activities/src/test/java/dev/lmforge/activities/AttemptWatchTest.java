package dev.lmforge.activities;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lmforge.infra.LocalStack;
import dev.lmforge.infra.TemporalDevServer;
import dev.lmforge.services.ledger.Records.AttemptRecord;
import dev.lmforge.services.ledger.Records.NewRun;
import dev.lmforge.workflows.stage.StageInput;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.RetryOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerOptions;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stage attempt that stops heartbeating (it sleeps for two minutes, as a read throttled to a byte a second
 * would) on the real Temporal server (the CLI from {@code LMFORGE_TEMPORAL_CLI}), with a 2-second heartbeat
 * timeout, and the real ledger: Temporal gives the attempt up, and its thread is interrupted within seconds
 * instead of sleeping on. When the retry comes to the same worker, it starts only once the old thread has ended,
 * so it runs alone; without a retry, the deadline alone stops the thread. The lost attempt is recorded as LOST.
 */
class AttemptWatchTest {

    private static final String QUEUE = "attempt-watch";
    private static final Duration HEARTBEAT = Duration.ofSeconds(2);
    /** The heartbeat timeout, the SDK's throttle and the watch's second of grace, and a few seconds of slack. */
    private static final long STOPPED_WITHIN_MS = 9_000;

    @TempDir
    static Path dir;
    static TemporalDevServer server;
    static WorkflowServiceStubs stubs;
    static WorkflowClient client;
    static WorkerFactory factory;
    static RealStageRuntime stack;
    static int rows;

    /** What each attempt of each stage row saw, by "row/attempt". */
    static final Map<String, Long> LAST_BEAT = new ConcurrentHashMap<>();
    static final Map<String, Long> STOPPED = new ConcurrentHashMap<>();
    static final Map<String, Boolean> OLDER_RUNNING_AT_START = new ConcurrentHashMap<>();

    /** A stage activity whose first attempt heartbeats once and then goes silent. */
    @ActivityInterface
    public interface SilentStage {
        @ActivityMethod
        String run(StageInput input);
    }

    /** Runs {@link SilentStage} with a short heartbeat timeout and {@code attempts} attempts at most. */
    @WorkflowInterface
    public interface SilentWorkflow {
        @WorkflowMethod
        String run(StageInput input, int attempts);
    }

    /** The workflow. */
    public static final class SilentWorkflowImpl implements SilentWorkflow {
        @Override
        public String run(StageInput input, int attempts) {
            return Workflow.newActivityStub(SilentStage.class, ActivityOptions.newBuilder()
                    .setStartToCloseTimeout(Duration.ofMinutes(3)).setHeartbeatTimeout(HEARTBEAT)
                    .setRetryOptions(RetryOptions.newBuilder().setInitialInterval(Duration.ofSeconds(1))
                            .setMaximumAttempts(attempts).build()).build()).run(input);
        }
    }

    /** The activity, run through {@link StageContext} as every stage is. */
    static final class SilentStageImpl implements SilentStage {
        @Override
        public String run(StageInput input) {
            return StageContext.run(stack.runtime(), input, String.class, context -> {
                int attempt = Activity.getExecutionContext().getInfo().getAttempt();
                String key = input.stageRowId() + "/" + attempt;
                if (attempt > 1) {
                    String older = input.stageRowId() + "/" + (attempt - 1);
                    OLDER_RUNNING_AT_START.put(key, !STOPPED.containsKey(older));
                    return "attempt " + attempt;
                }
                context.heartbeat("started");
                LAST_BEAT.put(key, System.nanoTime());
                try {
                    Thread.sleep(120_000);
                } catch (InterruptedException e) {
                    STOPPED.put(key, System.nanoTime());
                    throw e;
                }
                STOPPED.put(key, -1L);
                return "slept to the end";
            });
        }
    }

    @BeforeAll
    static void start() {
        String cli = System.getenv("LMFORGE_TEMPORAL_CLI");
        assertTrue(cli != null && Files.isExecutable(Path.of(cli)),
                "this test runs the real Temporal server: set LMFORGE_TEMPORAL_CLI (./lmforge test installs it)");
        stack = new RealStageRuntime(dir);
        server = TemporalDevServer.start(Path.of(cli), dir.resolve("temporal"), LocalStack.freePort(), 0, "lmforge-test");
        stubs = WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder()
                .setTarget(server.address()).build());
        client = WorkflowClient.newInstance(stubs, WorkflowClientOptions.newBuilder().setNamespace("lmforge-test").build());
        factory = WorkerFactory.newInstance(client);
        Worker worker = factory.newWorker(QUEUE, WorkerOptions.newBuilder()
                .setMaxHeartbeatThrottleInterval(AttemptWatch.MAX_THROTTLE).build());
        worker.registerWorkflowImplementationTypes(SilentWorkflowImpl.class);
        worker.registerActivitiesImplementations(new SilentStageImpl());
        factory.start();
    }

    @AfterAll
    static void stop() {
        if (factory != null) {
            factory.shutdownNow();
            factory.awaitTermination(10, TimeUnit.SECONDS);
        }
        if (stubs != null) {
            stubs.shutdownNow();
        }
        if (server != null) {
            server.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    private static StageInput stageRow() {
        String runId = "watch-" + ++rows;
        stack.runtime().ledger().runs().createRun(new NewRun(runId, "t", null, "alice", "{}", "", List.of(), null));
        long row = stack.runtime().ledger().runs().beginStage(runId, "data", 1, "key-" + runId, "{}", Map.of(), null);
        return new StageInput(runId, row, "data", null, Map.of());
    }

    private static String run(StageInput input, int attempts) {
        return client.newWorkflowStub(SilentWorkflow.class, WorkflowOptions.newBuilder().setTaskQueue(QUEUE)
                .setWorkflowId("watch-" + UUID.randomUUID()).build()).run(input, attempts);
    }

    private static long stoppedAfterMs(String key) {
        Long stopped = STOPPED.get(key);
        assertTrue(stopped != null && stopped > 0, "attempt " + key + " was interrupted, not left sleeping: " + stopped);
        return TimeUnit.NANOSECONDS.toMillis(stopped - LAST_BEAT.get(key));
    }

    @Test
    void theRetryStartsOnlyOnceTheSilentAttemptsThreadHasStopped() throws Exception {
        StageInput input = stageRow();
        assertEquals("attempt 2", run(input, 2));
        long after = stoppedAfterMs(input.stageRowId() + "/1");
        System.out.printf("silent attempt stopped %d ms after its last heartbeat (timeout %d ms)%n", after,
                HEARTBEAT.toMillis());
        assertTrue(after < STOPPED_WITHIN_MS, "stopped " + after + " ms after its last heartbeat");
        assertEquals(false, OLDER_RUNNING_AT_START.get(input.stageRowId() + "/2"), "the retry ran alone");
        assertEquals(List.of("LOST", "SUCCEEDED"), attemptStatuses(input));
    }

    @Test
    void withoutARetryTheDeadlineAloneStopsTheSilentAttempt() throws Exception {
        StageInput input = stageRow();
        assertThrows(WorkflowFailedException.class, () -> run(input, 1));
        String key = input.stageRowId() + "/1";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!STOPPED.containsKey(key) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        long after = stoppedAfterMs(key);
        System.out.printf("silent attempt without retry stopped %d ms after its last heartbeat%n", after);
        assertTrue(after < STOPPED_WITHIN_MS, "stopped " + after + " ms after its last heartbeat");
        awaitStatus(input, "LOST");
    }

    private static List<String> attemptStatuses(StageInput input) {
        return stack.runtime().ledger().runs().stages(input.runId()).get(0).attempts().stream()
                .map(AttemptRecord::status).toList();
    }

    private static void awaitStatus(StageInput input, String status) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!attemptStatuses(input).equals(List.of(status))) {
            assertTrue(System.nanoTime() < deadline, "attempts " + attemptStatuses(input));
            Thread.sleep(100);
        }
    }
}
