package dev.lmforge.workflows.data;

import dev.lmforge.workflows.stage.StageInput;

/**
 * The data workflow's argument: the data stage's input as the lifecycle built it (its config is a
 * {@link dev.lmforge.workflows.stage.DataStageConfig}) and the queue its activities run on.
 */
public record DataWorkflowInput(StageInput stage, String cpuQueue) {

    /** The data workflow's id under a lifecycle workflow: one data stage per lifecycle, so one child. */
    public static String workflowId(String lifecycleWorkflowId) {
        return lifecycleWorkflowId + "-data";
    }
}
