package dev.lmforge.activities.model;

import java.util.List;

/**
 * The paper's multi-step schedule (Section 2.3, Figure 1a): linear warm-up to the peak, the peak until 80 % of
 * the tokens, then 31.6 % of it, then 10 % after 90 %. Steps count from 0.
 *
 * @param peak         the peak learning rate
 * @param warmupSteps  steps of linear warm-up
 * @param totalSteps   steps of the whole run
 * @param drops        the drops, in order
 */
public record LearningRateSchedule(double peak, long warmupSteps, long totalSteps, List<Drop> drops) {

    /**
     * Warm-up never takes more than this share of the run. The paper's 2000 steps are 1.9 % of the 67B run
     * (2T tokens in batches of 4608 × 4096) and 0.9 % of the 7B run; every run of at least 66,667 steps gets the
     * full 2000, and shorter ones warm up over 3 % of their steps rather than a large part of the run.
     */
    public static final double MAX_WARMUP_FRACTION = 0.03;

    /** From {@code fromStep} on, the learning rate is {@code factor · peak}. */
    public record Drop(long fromStep, double tokenFraction, double factor) {
    }

    public LearningRateSchedule {
        drops = List.copyOf(drops);
    }

    /**
     * The paper's schedule for a run of {@code totalSteps}: warm-up of {@code min(2000, 3 % of the steps)} (at
     * least one step), drops at 80 % and 90 % of the steps (equal batches make steps proportional to tokens).
     */
    public static LearningRateSchedule multiStep(double peak, long totalSteps) {
        Require.positiveFinite("peak learning rate", peak);
        Require.positive("total steps", totalSteps);
        long warmup = Math.max(1, Math.min(PaperLaws.WARMUP_STEPS, Math.round(MAX_WARMUP_FRACTION * totalSteps)));
        List<Drop> drops = List.of(
                drop(PaperLaws.FIRST_DECAY_TOKEN_FRACTION, PaperLaws.FIRST_DECAY_FACTOR, totalSteps, warmup),
                drop(PaperLaws.SECOND_DECAY_TOKEN_FRACTION, PaperLaws.SECOND_DECAY_FACTOR, totalSteps, warmup));
        return new LearningRateSchedule(peak, warmup, totalSteps, drops);
    }

    private static Drop drop(double tokenFraction, double factor, long totalSteps, long warmup) {
        return new Drop(Math.max(warmup, Math.round(tokenFraction * totalSteps)), tokenFraction, factor);
    }

    /** The learning rate at {@code step} (0-based): warm-up ramps to the peak, reached at the last warm-up step. */
    public double learningRateAt(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step must not be negative, got " + step);
        }
        if (step < warmupSteps) {
            return peak * (step + 1) / warmupSteps;
        }
        double factor = 1.0;
        for (Drop drop : drops) {
            if (step >= drop.fromStep()) {
                factor = drop.factor();
            }
        }
        return peak * factor;
    }
}
