package dev.lmforge.activities.planning;

import dev.lmforge.activities.model.HardwareProfile;
import dev.lmforge.activities.model.Require;
import dev.lmforge.activities.model.ScalingLaws;


/**
 * What {@link BudgetPlanner} plans from. Everything but the budget is optional (null).
 *
 * @param compute    the compute budget {@code C = M·D} in FLOPs
 * @param tokenLimit the most training tokens available (e.g. the corpus size), or null for no limit
 * @param seqLen     the training sequence length, or null to choose one from the batch size
 * @param vocab      the vocabulary size (the tokenizer's), or null for the paper's padded 102,400
 * @param laws       the laws to plan with, or null for the paper's Eq. 1 and Eq. 4
 * @param hardware   the worker's measured throughput and memory, or null for no memory fit and wall time
 */
public record BudgetRequest(double compute, Long tokenLimit, Integer seqLen, Integer vocab, ScalingLaws laws,
                            HardwareProfile hardware) {

    public BudgetRequest {
        Require.positiveFinite("compute budget (FLOPs)", compute);
        if (tokenLimit != null) {
            Require.positive("token limit", tokenLimit);
        }
        if (seqLen != null) {
            Require.positive("sequence length", seqLen);
        }
        if (vocab != null) {
            Require.positive("vocabulary size", vocab);
        }
    }

    /** The request's laws, or the paper's when it names none. */
    public ScalingLaws lawsOrPaper() {
        return laws != null ? laws : ScalingLaws.paper();
    }

    /** A request with only a budget: the paper's laws, no token limit, no hardware profile. */
    public static BudgetRequest of(double compute) {
        return new BudgetRequest(compute, null, null, null, null, null);
    }
}
