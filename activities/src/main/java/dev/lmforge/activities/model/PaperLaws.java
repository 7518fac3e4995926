package dev.lmforge.activities.model;

/**
 * The DeepSeek LLM report's numbers (arXiv 2401.02954), in one place, each with the equation, table or section
 * it comes from. Every other stage reads them from here rather than repeating them.
 */
public final class PaperLaws {

    private PaperLaws() {
    }

    // ---- Scaling laws (Section 3) ----

    /** Eq. 1: near-optimal peak learning rate {@code η_opt = 0.3118 · C^-0.1250}. */
    public static final PowerLaw LEARNING_RATE = new PowerLaw(0.3118, -0.1250);

    /** Eq. 1: near-optimal batch size in tokens {@code B_opt = 0.2920 · C^0.3271}. */
    public static final PowerLaw BATCH_TOKENS = new PowerLaw(0.2920, 0.3271);

    /** Eq. 4: optimal model scale (non-embedding FLOPs per token) {@code M_opt = 0.1715 · C^0.5243}. */
    public static final PowerLaw MODEL_SCALE = new PowerLaw(0.1715, 0.5243);

    /** Eq. 4: optimal number of training tokens {@code D_opt = 5.8316 · C^0.4757}. */
    public static final PowerLaw DATA_TOKENS = new PowerLaw(5.8316, 0.4757);

    /**
     * Section 3.1, Figure 3: a run is near-optimal when its generalisation error exceeds the budget's minimum
     * by no more than 0.25 % (relative); Eq. 1 is fitted through those runs.
     */
    public static final double NEAR_OPTIMAL_MARGIN = 0.0025;

    // ---- Model scale, Eq. 2: M = 72·n_layer·d_model² + 12·n_layer·d_model·l_seq ----

    /** Eq. 2: FLOPs per token per {@code n_layer·d_model²} (the dense matrices, forward and backward). */
    public static final int M_DENSE_FACTOR = 72;

    /** Eq. 2: FLOPs per token per {@code n_layer·d_model·l_seq} (attention scores and their use). */
    public static final int M_ATTENTION_FACTOR = 12;

    /** Table 3: idealised non-embedding parameters per {@code n_layer·d_model²}: {@code N1 = 12·n_layer·d_model²}. */
    public static final int N1_FACTOR = 12;

    /** Table 3 compares {@code M} with the {@code 6·N} compute approximation (6 FLOPs per parameter per token). */
    public static final int FLOPS_PER_PARAMETER_PER_TOKEN = 6;

    // ---- Architecture (Section 2.1, 2.2, Table 2) ----

    /** Section 2.2: SwiGLU's intermediate size is {@code 8/3 · d_model}. */
    public static final double SWIGLU_HIDDEN_RATIO = 8.0 / 3.0;

    /**
     * Table 2: the SwiGLU intermediate size is rounded up to a multiple of 256 (8/3 · 4096 gives 11008 for the
     * 7B model, 8/3 · 8192 gives 22016 for the 67B model), as in LLaMA.
     */
    public static final int SWIGLU_HIDDEN_MULTIPLE = 256;

    /** Section 2.1: the tokenizer's vocabulary padded to 102,400 for training efficiency. */
    public static final int PADDED_VOCAB = 102_400;

    /** Section 2.2, Table 2: context length of 4096 tokens. */
    public static final int CONTEXT_LENGTH = 4096;

    // ---- Optimisation (Section 2.3) ----

    /** Section 2.3: AdamW β1. */
    public static final double ADAM_BETA1 = 0.9;

    /** Section 2.3: AdamW β2. */
    public static final double ADAM_BETA2 = 0.95;

    /** Section 2.3: AdamW weight decay. */
    public static final double WEIGHT_DECAY = 0.1;

    /** Section 2.3: standard deviation of the initial weights. */
    public static final double INIT_STD = 0.006;

    /** Section 2.3: gradient clipping norm. */
    public static final double GRADIENT_CLIP = 1.0;

    /** Section 2.3: linear warm-up to the peak learning rate over 2000 steps (at the 7B/67B runs' scale). */
    public static final int WARMUP_STEPS = 2000;

    /** Section 2.3, Figure 1a: the multi-step schedule's first drop, to 31.6 % of the peak after 80 % of tokens. */
    public static final double FIRST_DECAY_TOKEN_FRACTION = 0.80;

    /** Section 2.3: the learning rate after the first drop, as a fraction of the peak. */
    public static final double FIRST_DECAY_FACTOR = 0.316;

    /** Section 2.3, Figure 1a: the second drop, to 10 % of the peak after 90 % of tokens. */
    public static final double SECOND_DECAY_TOKEN_FRACTION = 0.90;

    /** Section 2.3: the learning rate after the second drop, as a fraction of the peak. */
    public static final double SECOND_DECAY_FACTOR = 0.10;

    /** Section 4: SFT epochs of the 7B model (the 67B model takes 2). */
    public static final int SFT_EPOCHS = 4;

    /** Section 4: SFT learning rate of the 7B model (the 67B model takes 5e-6). */
    public static final double SFT_LEARNING_RATE = 1e-5;

    /** Section 4: DPO runs one epoch. */
    public static final int DPO_EPOCHS = 1;

    /** Section 4: DPO learning rate, with warm-up and cosine decay. */
    public static final double DPO_LEARNING_RATE = 5e-6;

    /**
     * DPO's β. Not from the report, which does not give it: 0.1 is the value the DPO paper (Rafailov et al.,
     * 2023) uses in most of its experiments.
     */
    public static final double DPO_BETA = 0.1;
}
