package dev.lmforge.workflows;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.workflows.data.DataWorkflowImpl;
import dev.lmforge.workflows.data.DataWorkflowInput;
import dev.lmforge.workflows.sweep.ScalingSweepWorkflowImpl;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.WorkflowReplayer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Replays recorded lifecycle histories against today's workflow code. A change that would make a running
 * workflow take a different path fails here; such changes must go behind {@code Workflow.getVersion}.
 * The histories come from real runs on the local stack (see LifecycleApiTest, which writes a fresh one to
 * {@code web-ui/target/histories/}, the data workflow's next to it).
 */
class LifecycleWorkflowReplayTest {

    private static String history(String name) throws IOException {
        try (InputStream in = LifecycleWorkflowReplayTest.class.getResourceAsStream("/histories/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource histories/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Recorded before the data stage became a child workflow: replays down the single-activity path. */
    @Test
    void aDataThenPlanRunReplays() throws Exception {
        WorkflowReplayer.replayWorkflowExecution(history("lifecycle-data-plan.json"), LifecycleWorkflowImpl.class);
    }

    /** The child's id derives from the lifecycle's, so this replay needs the recorded id: the child names its parent. */
    @Test
    void aDataThenPlanRunWithTheDataChildWorkflowReplays() throws Exception {
        String lifecycleId = new ObjectMapper().readTree(history("data-workflow.json"))
                .at("/events/0/workflowExecutionStartedEventAttributes/parentWorkflowExecution/workflowId").asText();
        WorkflowReplayer.replayWorkflowExecution(
                WorkflowExecutionHistory.fromJson(history("lifecycle-data-child-plan.json"), lifecycleId),
                LifecycleWorkflowImpl.class);
    }

    /**
     * Recorded by LifecycleApiTest on the real stack, before stages declared their inputs (every earlier output went
     * to every later stage); its data child's id names the lifecycle's.
     */
    @Test
    void aRunOfAllSevenStagesReplays() throws Exception {
        replayAllSevenStages("lifecycle-all-stages.json");
    }

    /** The same, recorded after: each stage is handed only the outputs it consumes, alignment its data by digest. */
    @Test
    void aRunOfAllSevenStagesWithDeclaredInputsAndAlignmentDataReplays() throws Exception {
        replayAllSevenStages("lifecycle-all-stages-alignment-data.json");
    }

    private static void replayAllSevenStages(String file) throws Exception {
        String childId = new ObjectMapper().readTree(history(file)).findValue("workflowId").asText();
        String lifecycleId = childId.substring(0, childId.length() - DataWorkflowInput.workflowId("").length());
        WorkflowReplayer.replayWorkflowExecution(WorkflowExecutionHistory.fromJson(history(file), lifecycleId),
                LifecycleWorkflowImpl.class);
    }

    /** Recorded by LifecycleWithSweepWithFakeActivitiesTest: the plan stage runs the sweep child first. */
    @Test
    void aTokenizerThenPlanRunWithASweepReplays() throws Exception {
        WorkflowReplayer.replayWorkflowExecution(
                WorkflowExecutionHistory.fromJson(history("lifecycle-tokenizer-plan-sweep.json"), "lifecycle-with-sweep"),
                LifecycleWorkflowImpl.class);
    }

    /**
     * Recorded by SlotWaitWithFakeActivitiesTest: a stage waits for its team's slot through eight timed tries, then
     * a slotFreed signal wakes it (team-slots and prompt-slots).
     */
    @Test
    void aStageWokenFromItsSlotWaitBySlotFreedReplays() throws Exception {
        WorkflowReplayer.replayWorkflowExecution(history("lifecycle-plan-slot-wait.json"), LifecycleWorkflowImpl.class);
    }

    @Test
    void theScalingSweepsFanOutReplays() throws Exception {
        WorkflowReplayer.replayWorkflowExecution(history("scaling-sweep-workflow.json"), ScalingSweepWorkflowImpl.class);
    }

    @Test
    void theDataWorkflowsFanOutReplays() throws Exception {
        WorkflowReplayer.replayWorkflowExecution(history("data-workflow.json"), DataWorkflowImpl.class);
    }
}
