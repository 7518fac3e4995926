package dev.lmforge.workflows.stage;

import dev.lmforge.workflows.spec.LifecycleSpec;

/**
 * The pretrain stage's config as the stage and its cache key see it: the spec's training options (the model,
 * batch, learning rate and steps arrive as the plan artifact, one of the stage's inputs).
 */
public record PretrainStageConfig(LifecycleSpec.TrainingOptions training) {
}
