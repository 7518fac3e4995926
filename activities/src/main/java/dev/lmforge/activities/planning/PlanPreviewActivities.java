package dev.lmforge.activities.planning;

import dev.lmforge.activities.InvalidInputException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.workflows.plan.PlanPreview;
import dev.lmforge.workflows.stage.PlanStageConfig;
import dev.lmforge.workflows.stage.StageFailures;
import io.temporal.failure.ApplicationFailure;

/** {@link PlanPreview} on a compute worker: the plan stage's own planner, nothing stored. */
public final class PlanPreviewActivities implements PlanPreview {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public JsonNode preview(PlanStageConfig config) {
        if (config.compute() == null) {
            throw ApplicationFailure.newNonRetryableFailure("compute.budget: the plan needs a compute budget",
                    StageFailures.INVALID_INPUT);
        }
        try {
            return JSON.valueToTree(PlanStageActivities.plan(config, null));
        } catch (InvalidInputException e) {
            throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), StageFailures.INVALID_INPUT);
        }
    }
}
