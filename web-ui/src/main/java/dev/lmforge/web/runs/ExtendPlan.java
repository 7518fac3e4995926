package dev.lmforge.web.runs;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What extending a finished pretraining to a larger budget does or would do (the paper's continual training,
 * Figure 1b): the same model and batch go on from the old run's checkpoint at the multi-step schedule's first
 * drop, and train to the new budget.
 *
 * @param runId          the new run, or null for a dry run
 * @param extendsRun     the finished run whose pretraining is extended
 * @param dryRun         whether nothing was started
 * @param currentBudget  the old run's {@code compute.budget} in FLOPs
 * @param budget         the new budget in FLOPs
 * @param shape          the model shape (the old plan's, kept as is)
 * @param modelScale     {@code M}, non-embedding FLOPs per token
 * @param batchSequences sequences per optimizer step (kept as is)
 * @param batchTokens    tokens per optimizer step
 * @param checkpoint     the digest of the old run's boundary checkpoint, the new run's {@code training.extendFrom}
 * @param reusedSteps    the steps the checkpoint holds, trained at the peak learning rate, not run again
 * @param previousSteps  the old run's total steps
 * @param steps          the new run's total steps
 * @param newSteps       the steps the new run trains: {@code steps - reusedSteps}
 * @param tokens         the new run's training tokens, {@code steps · batchTokens}
 * @param compute        {@code M · tokens}, close to {@code budget}
 * @param newCompute     {@code M · newSteps · batchTokens}: what the extension itself costs
 */
public record ExtendPlan(String runId, String extendsRun, boolean dryRun, double currentBudget, double budget,
                         JsonNode shape, double modelScale, int batchSequences, long batchTokens, String checkpoint,
                         long reusedSteps, long previousSteps, long steps, long newSteps, long tokens, double compute,
                         double newCompute) {
}
