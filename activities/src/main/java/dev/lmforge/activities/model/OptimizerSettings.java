package dev.lmforge.activities.model;

/** The AdamW settings and initialisation a plan hands to pretraining (Section 2.3 of the paper). */
public record OptimizerSettings(double beta1, double beta2, double weightDecay, double gradientClip,
                                double initStd) {

    /** The paper's recipe: β1 0.9, β2 0.95, weight decay 0.1, gradient clip 1.0, init std 0.006. */
    public static OptimizerSettings paper() {
        return new OptimizerSettings(PaperLaws.ADAM_BETA1, PaperLaws.ADAM_BETA2, PaperLaws.WEIGHT_DECAY,
                PaperLaws.GRADIENT_CLIP, PaperLaws.INIT_STD);
    }
}
