package dev.lmforge.activities.alignment;

/** The DeepSeek LLM report's alignment settings (Section 4), the defaults of {@link SftOptions} and {@link DpoOptions}. */
public final class PaperAlignment {

    /** SFT epochs of the 7B model (Section 4; the 67B model takes 2). */
    public static final int SFT_EPOCHS = 4;
    /** SFT learning rate of the 7B model (Section 4; the 67B model takes 5e-6). */
    public static final double SFT_LEARNING_RATE = 1e-5;
    /** DPO runs one epoch (Section 4). */
    public static final int DPO_EPOCHS = 1;
    /** DPO learning rate, with cosine decay (Section 4). */
    public static final double DPO_LEARNING_RATE = 5e-6;
    /**
     * DPO's β. The report does not give it; 0.1 is the value the DPO paper (Rafailov et al., 2023) uses in most of
     * its experiments.
     */
    public static final double DPO_BETA = 0.1;

    private PaperAlignment() {
    }
}
