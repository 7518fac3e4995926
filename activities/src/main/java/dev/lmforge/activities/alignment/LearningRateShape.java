package dev.lmforge.activities.alignment;

import dev.lmforge.activities.model.CosineSchedule;



/** How an alignment run's learning rate moves over its steps. */
public enum LearningRateShape {
    /** Linear warm-up, then cosine decay ({@link CosineSchedule}). */
    COSINE,
    /** The peak at every step. */
    CONSTANT;

    /** The learning rate at {@code step} (0-based) of {@code totalSteps}, peaking at {@code peak}. */
    public double at(double peak, long step, long totalSteps) {
        return this == CONSTANT ? peak : CosineSchedule.of(peak, totalSteps).learningRateAt(step);
    }
}
