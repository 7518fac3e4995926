package dev.lmforge.activities.model;

import java.util.List;

/**
 * A training plan for a compute budget: what the laws ask for, the concrete model and schedule that come
 * closest, and what running it costs. Serialises to JSON with Jackson as is.
 *
 * @param compute             the requested budget {@code C} in FLOPs
 * @param tokenLimit          the token limit planned under, or null
 * @param laws                the laws used
 * @param optimalModelScale   {@code M_opt(C)}
 * @param optimalTokens       {@code D_opt(C)}
 * @param optimalBatchTokens  {@code B_opt(C)}
 * @param optimalLearningRate {@code η_opt(C)}
 * @param model               the chosen shape and its size figures
 * @param batchSequences      sequences per optimizer step
 * @param batchTokens         tokens per optimizer step: {@code B_opt} rounded to whole sequences, or a sweep
 *                            probe's grid value
 * @param learningRate        the peak learning rate: {@code η_opt}, or a sweep probe's grid value
 * @param steps               optimizer steps
 * @param tokens              training tokens, {@code steps · batchTokens}
 * @param plannedCompute      {@code M · tokens} of the chosen model, close to {@code compute}
 * @param schedule            the multi-step learning-rate schedule
 * @param optimizer           AdamW settings and initialisation
 * @param memory              the memory estimate
 * @param trainingFlops       the run's actual training FLOPs ({@link ModelScale#trainingFlopsPerToken()} · tokens),
 *                            which exceed {@code plannedCompute} by the output layer's cost
 * @param wallSeconds         expected wall time at the hardware profile's throughput, or null without one
 * @param notes               what the planner had to compromise on, in words
 */
public record BudgetPlan(double compute, Long tokenLimit, ScalingLaws laws, double optimalModelScale,
                         double optimalTokens, double optimalBatchTokens, double optimalLearningRate,
                         ModelScale model, int batchSequences, long batchTokens, double learningRate, long steps,
                         long tokens, double plannedCompute, LearningRateSchedule schedule,
                         OptimizerSettings optimizer, MemoryEstimate memory, double trainingFlops,
                         Double wallSeconds, List<String> notes) {

    public BudgetPlan {
        notes = List.copyOf(notes);
    }
}
