package dev.lmforge.workflows.stage;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * The pretrain stage's contract: train the planned decoder on the tokenized corpus, checkpointing as it goes
 * (a retried attempt resumes from the newest checkpoint its predecessor heartbeated); the outputs are the
 * exported model, the final checkpoint and the schedule's 80 % boundary checkpoint (for continual training).
 */
@ActivityInterface
public interface PretrainStage {

    @ActivityMethod
    StageOutput pretrain(StageInput input);
}
