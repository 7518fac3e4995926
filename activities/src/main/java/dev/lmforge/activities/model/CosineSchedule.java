package dev.lmforge.activities.model;

/**
 * The common alternative to the paper's multi-step schedule, offered as an option: the same warm-up, then a
 * cosine from the peak down to the multi-step schedule's final level ({@link PaperLaws#SECOND_DECAY_FACTOR} of
 * the peak) at the last step. Unlike multi-step, a cosine run cannot be extended by continual training: its
 * decay depends on the total length from the first step.
 */
public record CosineSchedule(double peak, long warmupSteps, long totalSteps, double finalFactor) {

    /** The cosine schedule for a run of {@code totalSteps}, warming up as {@link LearningRateSchedule#multiStep} does. */
    public static CosineSchedule of(double peak, long totalSteps) {
        LearningRateSchedule multiStep = LearningRateSchedule.multiStep(peak, totalSteps);
        return new CosineSchedule(peak, multiStep.warmupSteps(), totalSteps, PaperLaws.SECOND_DECAY_FACTOR);
    }

    /** The learning rate at {@code step} (0-based). */
    public double learningRateAt(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step must not be negative, got " + step);
        }
        if (step < warmupSteps) {
            return peak * (step + 1) / warmupSteps;
        }
        double progress = Math.min(1.0, (double) (step - warmupSteps) / Math.max(1, totalSteps - 1 - warmupSteps));
        return peak * (finalFactor + (1 - finalFactor) * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }
}
