package dev.lmforge.workflows.data;

import dev.lmforge.workflows.stage.StageInput;
import java.util.Optional;

/**
 * The data workflow's argument: the data stage's input as the lifecycle built it (its config is a
 * {@link dev.lmforge.workflows.stage.DataStageConfig}) and the queue its activities run on.
 */
public record DataWorkflowInput(StageInput stage, String cpuQueue) {

    private static final String SUFFIX = "-data";

    /** The data workflow's id under a lifecycle workflow: one data stage per lifecycle, so one child. */
    public static String workflowId(String lifecycleWorkflowId) {
        return lifecycleWorkflowId + SUFFIX;
    }

    /** The lifecycle workflow whose data workflow has id {@code dataWorkflowId}; empty for any other id. */
    public static Optional<String> lifecycleWorkflowId(String dataWorkflowId) {
        return dataWorkflowId.endsWith(SUFFIX) && dataWorkflowId.length() > SUFFIX.length()
                ? Optional.of(dataWorkflowId.substring(0, dataWorkflowId.length() - SUFFIX.length())) : Optional.empty();
    }
}
