package dev.lmforge.workflows.stage;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * The plan stage's contract: from the compute budget, choose model scale, tokens, batch size and learning rate
 * (the paper's Eq. 1 and Eq. 4 unless fitted laws are given) and a concrete model shape; the output is the
 * plan as a JSON artifact.
 */
@ActivityInterface
public interface PlanStage {

    @ActivityMethod
    StageOutput plan(StageInput input);
}
