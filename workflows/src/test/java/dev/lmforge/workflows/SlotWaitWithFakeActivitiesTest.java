package dev.lmforge.workflows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lmforge.workflows.ledger.LedgerActivities;
import dev.lmforge.workflows.ledger.StageStart;
import dev.lmforge.workflows.spec.LifecycleSpec;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.PlanStage;
import dev.lmforge.workflows.stage.StageInput;
import dev.lmforge.workflows.stage.StageOutput;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.Worker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A stage that waits for its team's slot, with in-memory fake activities: after three skipped minutes its timed
 * tries are a minute apart, yet a {@code slotFreed} signal makes it try again before its next timer fires, and the
 * run's history, with the signal, replays. The history is written to {@code target/histories/} (the replay test's
 * {@code lifecycle-plan-slot-wait.json} was recorded so).
 */
class SlotWaitWithFakeActivitiesTest {

    static final String LIFECYCLE_ID = "lifecycle-slot-wait";

    private TestWorkflowEnvironment env;
    private final AtomicInteger claims = new AtomicInteger();
    private final AtomicBoolean slotFree = new AtomicBoolean();

    @BeforeEach
    void start() {
        env = TestWorkflowEnvironment.newInstance();
        Worker control = env.newWorker("control");
        control.registerWorkflowImplementationTypes(LifecycleWorkflowImpl.class);
        control.registerActivitiesImplementations(new FakeLedger());
        env.newWorker("cpu").registerActivitiesImplementations(new FakePlan());
        env.start();
    }

    @AfterEach
    void stop() {
        env.close();
    }

    @Test
    void aSlotFreedSignalEndsTheWaitBeforeTheNextTimedTry() throws Exception {
        LifecycleSpec spec = new LifecycleSpec("t", null, List.of("plan"), null, null,
                new LifecycleSpec.Compute(1e13, null), null, new LifecycleSpec.PlanOptions(64, null, null), null,
                null, null, null, null);
        LifecycleWorkflow lifecycle = env.getWorkflowClient().newWorkflowStub(LifecycleWorkflow.class,
                WorkflowOptions.newBuilder().setTaskQueue("control").setWorkflowId(LIFECYCLE_ID).build());
        WorkflowClient.start(lifecycle::run, new LifecycleInput("run-1", spec, "cpu", "gpu"));
        env.sleep(Duration.ofMinutes(3)); // tries at 0, 1, 3, 7, 15, 31, 63, 123 and 183 s: now a minute apart
        int timedTries = claims.get();
        assertTrue(timedTries >= 8, "the stage tried on its timer: " + timedTries);
        assertEquals("WAITING", lifecycle.progress().stages().get(0).status());

        slotFree.set(true);
        long signalled = System.nanoTime();
        lifecycle.slotFreed();
        assertEquals("SUCCEEDED", WorkflowStub.fromTyped(lifecycle).getResult(String.class));
        System.out.printf("slot wait: the run ended %d ms after slotFreed, after %d timed tries%n",
                Duration.ofNanos(System.nanoTime() - signalled).toMillis(), timedTries);
        assertEquals(timedTries + 1, claims.get(), "one try, the signal's, took the slot");

        // In the workflow's own record: the try after the signal came before the timer of the next timed try.
        WorkflowExecutionHistory recorded = env.getWorkflowClient().fetchHistory(LIFECYCLE_ID);
        List<HistoryEvent> events = recorded.getEvents();
        int signal = indexOf(events, 0, e -> e.getEventType() == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
                && e.getWorkflowExecutionSignaledEventAttributes().getSignalName().equals("slotFreed"));
        int nextClaim = indexOf(events, signal, e -> e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
                && e.getActivityTaskScheduledEventAttributes().getActivityType().getName().equals("ClaimSlot"));
        assertTrue(events.subList(signal, nextClaim).stream()
                .noneMatch(e -> e.getEventType() == EventType.EVENT_TYPE_TIMER_FIRED),
                "the stage tried again only when its timer fired, not on the signal");

        String history = recorded.toJson(true);
        Files.writeString(Files.createDirectories(Path.of("target/histories")).resolve("lifecycle-plan-slot-wait.json"),
                history);
        WorkflowReplayer.replayWorkflowExecution(history, LifecycleWorkflowImpl.class);
    }

    private static final class FakePlan implements PlanStage {
        @Override
        public StageOutput plan(StageInput input) {
            return new StageOutput(Map.of("plan", new ArtifactRef("plan-digest", "plan", 1)), Map.of());
        }
    }

    private static int indexOf(List<HistoryEvent> events, int from, Predicate<HistoryEvent> which) {
        for (int i = from; i < events.size(); i++) {
            if (which.test(events.get(i))) {
                return i;
            }
        }
        throw new AssertionError("no such event in the history after event " + from);
    }

    /** A ledger whose only slot is taken until the test frees it. */
    private final class FakeLedger implements LedgerActivities {
        @Override
        public void runStatus(String runId, String status, String error) {
        }

        @Override
        public StageStart beginStage(String runId, String stage, JsonNode config, Map<String, ArtifactRef> inputs) {
            return new StageStart(1, "key-" + stage, null, null);
        }

        @Override
        public boolean claimSlot(long stageRowId, String queue) {
            claims.incrementAndGet();
            return slotFree.get();
        }

        @Override
        public void stageSucceeded(long stageRowId, StageOutput output) {
        }

        @Override
        public void stageEnded(long stageRowId, String status, String error) {
        }
    }
}
