package dev.lmforge.workflows.stage;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * The align stage's contract: supervised fine-tuning, then DPO, from the pretrain stage's final checkpoint and
 * the tokenizer. The outputs mirror pretraining's ({@link #MODEL_OUTPUT}, {@link #CHECKPOINT_OUTPUT}), so that
 * evaluate-chat reads them as evaluate-base reads the base model's, plus a {@link Stage#REPORT_OUTPUT} of both
 * phases (options, data sources, figures).
 */
@ActivityInterface
public interface AlignStage {

    /** Output name of the aligned model: a SavedModel with its tokenizer. */
    String MODEL_OUTPUT = "model";
    /** Output name of the aligned model's checkpoint. */
    String CHECKPOINT_OUTPUT = "checkpoint";
    @ActivityMethod
    StageOutput align(StageInput input);
}
