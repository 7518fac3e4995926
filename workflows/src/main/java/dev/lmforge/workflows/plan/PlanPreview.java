package dev.lmforge.workflows.plan;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lmforge.workflows.stage.PlanStageConfig;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * What the plan stage would choose for a spec, without running anything: the launch page shows it before a
 * run is submitted. Runs on a compute worker (the planner lives there) through {@link PlanPreviewWorkflow}.
 */
@ActivityInterface
public interface PlanPreview {

    /** The plan for {@code config} with the paper's laws (a sweep would refit them), as the plan stage writes it. */
    @ActivityMethod
    JsonNode preview(PlanStageConfig config);
}
