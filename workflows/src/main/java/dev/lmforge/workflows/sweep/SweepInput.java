package dev.lmforge.workflows.sweep;

import dev.lmforge.workflows.stage.ArtifactRef;

/**
 * The scaling sweep's argument.
 *
 * @param runId         the ledger run whose metrics the sweep writes (a lifecycle's, or one made for the sweep)
 * @param stage         the stage name those metrics go under, e.g. {@code plan}
 * @param options       what to sweep
 * @param targetCompute the budget the fitted laws are for (the run's {@code compute.budget}); it sets the default
 *                      probe budgets and the predicted loss; null when the options name their budgets
 * @param seqLen        the probes' sequence length, or null to let the planner choose per budget
 * @param tokens        the token shards the probes train on (a tokenizer stage's {@code tokens} output)
 * @param queue         the task queue the probes and the fit run on
 */
public record SweepInput(String runId, String stage, SweepOptions options, Double targetCompute, Integer seqLen,
                         ArtifactRef tokens, String queue) {

    /** The sweep's workflow id under a lifecycle workflow: one plan stage per lifecycle, so one child. */
    public static String workflowId(String lifecycleWorkflowId) {
        return lifecycleWorkflowId + "-sweep";
    }
}
