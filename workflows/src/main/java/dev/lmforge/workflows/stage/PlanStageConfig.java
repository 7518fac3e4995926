package dev.lmforge.workflows.stage;

import dev.lmforge.workflows.spec.LifecycleSpec;

/** The plan stage's config as the stage and its cache key see it: the spec's budget and plan options. */
public record PlanStageConfig(LifecycleSpec.Compute compute, LifecycleSpec.PlanOptions options) {

    /** The config of {@code spec}'s plan stage; the vocabulary defaults to the tokenizer's when the spec trains one. */
    public static PlanStageConfig of(LifecycleSpec spec) {
        LifecycleSpec.PlanOptions plan = spec.plan() != null ? spec.plan()
                : new LifecycleSpec.PlanOptions(null, null, null);
        if (plan.vocab() == null && spec.stageList().contains(Stage.TOKENIZER)) {
            int vocab = spec.tokenizer() != null && spec.tokenizer().vocabSize() != null
                    ? spec.tokenizer().vocabSize() : TokenizerStageConfig.DEFAULT_VOCAB_SIZE;
            return new PlanStageConfig(spec.compute(), new LifecycleSpec.PlanOptions(plan.seqLen(), vocab, plan.sweep()));
        }
        return new PlanStageConfig(spec.compute(), spec.plan());
    }
}
