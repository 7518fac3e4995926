package dev.lmforge.workflows;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * A language model's whole life, as DESIGN.md orders it: data, tokenizer, plan, pretrain, evaluate, align,
 * evaluate. Each stage runs as an activity on a compute queue; the ledger records every step; a stage whose
 * cache key has a completed record is reused instead of run.
 */
@WorkflowInterface
public interface LifecycleWorkflow {

    /** Runs the lifecycle to its end and returns the final status ({@code SUCCEEDED}, {@code CANCELLED}). */
    @WorkflowMethod
    String run(LifecycleInput input);

    /** Holds the lifecycle before its next stage; the running stage finishes first. */
    @SignalMethod
    void pause();

    /** Lets a paused lifecycle go on. */
    @SignalMethod
    void resume();

    /** Stops the lifecycle: the running stage's activity is cancelled and no further stage starts. */
    @SignalMethod
    void cancel(String reason);

    /**
     * One of the team's slots may have freed for the stage that waits for one: it tries again now rather than at
     * its next timed try (the control plane sends this when a stage ends or takes a slot).
     */
    @SignalMethod
    void slotFreed();

    @QueryMethod
    Progress progress();
}
