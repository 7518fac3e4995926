package dev.lmforge.workflows.stage;

import dev.lmforge.workflows.spec.LifecycleSpec;

/** The tokenizer stage's config as the stage and its cache key see it: the spec's tokenizer options. */
public record TokenizerStageConfig(LifecycleSpec.TokenizerOptions options) {

    /** The vocabulary size when the spec names none. */
    public static final int DEFAULT_VOCAB_SIZE = 32_000;
    /** How much of the corpus the tokenizer trains on when the spec says nothing. */
    public static final long DEFAULT_SAMPLE_BYTES = 100L * 1024 * 1024;
    /** Token ids per shard file when the spec says nothing. */
    public static final long DEFAULT_TOKENS_PER_SHARD = 64L * 1024 * 1024;

    public int vocabSize() {
        return options != null && options.vocabSize() != null ? options.vocabSize() : DEFAULT_VOCAB_SIZE;
    }

    public long sampleBytes() {
        return options != null && options.sampleBytes() != null ? options.sampleBytes() : DEFAULT_SAMPLE_BYTES;
    }

    public long tokensPerShard() {
        return options != null && options.tokensPerShard() != null ? options.tokensPerShard() : DEFAULT_TOKENS_PER_SHARD;
    }
}
