package dev.lmforge.workflows.plan;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lmforge.workflows.stage.PlanStageConfig;
import dev.lmforge.workflows.stage.StageFailures;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.workflow.Workflow;
import java.time.Duration;

/** See {@link PlanPreviewWorkflow}: a quick answer or none, so little time and no retry of bad input. */
public class PlanPreviewWorkflowImpl implements PlanPreviewWorkflow {

    @Override
    public JsonNode preview(PlanStageConfig config, String cpuQueue) {
        return Workflow.newActivityStub(PlanPreview.class, ActivityOptions.newBuilder()
                        .setTaskQueue(cpuQueue)
                        .setStartToCloseTimeout(Duration.ofSeconds(20))
                        .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(2)
                                .setDoNotRetry(StageFailures.INVALID_INPUT).build())
                        .build())
                .preview(config);
    }
}
