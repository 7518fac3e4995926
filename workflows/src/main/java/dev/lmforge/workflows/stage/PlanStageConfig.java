package dev.lmforge.workflows.stage;

import dev.lmforge.workflows.spec.LifecycleSpec;

/** The plan stage's config as the stage and its cache key see it: the spec's budget and plan options. */
public record PlanStageConfig(LifecycleSpec.Compute compute, LifecycleSpec.PlanOptions options) {
}
