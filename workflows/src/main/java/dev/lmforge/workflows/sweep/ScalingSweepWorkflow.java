package dev.lmforge.workflows.sweep;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Measures the scaling laws instead of trusting the paper's, with sweeps of small probe runs (the paper's
 * Section 3): a batch-size × learning-rate grid at several budgets fits {@code η_opt = a·C^α} and
 * {@code B_opt = b·C^β}; IsoFLOP model/data splits at several budgets fit {@code M_opt = k_M·C^a},
 * {@code D_opt = k_D·C^b} and the loss-versus-compute curve. The probes of each sweep fan out in parallel over the
 * compute workers; the fit runs last. A lifecycle's plan stage starts it as a child, or it runs on its own.
 */
@WorkflowInterface
public interface ScalingSweepWorkflow {

    /** The artifact kind of the fit. */
    String SCALING_FIT_KIND = "scaling-fit";

    /** Runs the sweep and returns its fit. */
    @WorkflowMethod
    SweepOutcome run(SweepInput input);

    @QueryMethod
    SweepProgress progress();
}
