package dev.lmforge.workflows.stage;

import dev.lmforge.workflows.spec.LifecycleSpec;

/** An evaluation stage's config as the stage and its cache key see it: the spec's evaluation options. */
public record EvaluateStageConfig(LifecycleSpec.EvaluationOptions evaluation) {
}
