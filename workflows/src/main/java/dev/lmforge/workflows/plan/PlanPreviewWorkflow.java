package dev.lmforge.workflows.plan;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lmforge.workflows.stage.PlanStageConfig;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/** One {@link PlanPreview} activity on a compute queue, for the control plane to wait on. */
@WorkflowInterface
public interface PlanPreviewWorkflow {

    @WorkflowMethod
    JsonNode preview(PlanStageConfig config, String cpuQueue);
}
