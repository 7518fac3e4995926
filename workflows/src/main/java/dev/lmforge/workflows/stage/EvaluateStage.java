package dev.lmforge.workflows.stage;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * The evaluation stages' contract ({@code evaluate-base} after pretraining, {@code evaluate-chat} after
 * alignment; {@link StageInput#stage()} says which): bits per byte on the tokenizer stage's held-out documents
 * and the configured task suites, scored on the newest model the earlier stages produced. Results go to the
 * ledger per task and metric and, as one JSON artifact, to the output {@value Outputs#EVALUATION}.
 */
@ActivityInterface
public interface EvaluateStage {

    @ActivityMethod
    StageOutput evaluate(StageInput input);
}
