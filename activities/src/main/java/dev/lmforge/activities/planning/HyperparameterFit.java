package dev.lmforge.activities.planning;

import dev.lmforge.activities.model.PowerLawFit;
import java.util.List;

/**
 * A hyperparameter sweep, fitted (the paper's Section 3.1, Figure 3): each budget's near-optimal set and the laws
 * {@code η_opt = a·C^α} and {@code B_opt = b·C^β} through them (Eq. 1's form).
 *
 * @param margin           the relative loss margin that defined "near-optimal"
 * @param budgets          each budget's best run and near-optimal set, by increasing compute
 * @param learningRateLaw  {@code η_opt} against {@code C}: coefficient {@code a}, exponent {@code α}
 * @param batchTokensLaw   {@code B_opt} against {@code C}: coefficient {@code b}, exponent {@code β}
 */
public record HyperparameterFit(double margin, List<HyperparameterOptimum> budgets, PowerLawFit learningRateLaw,
                                PowerLawFit batchTokensLaw) {

    public HyperparameterFit {
        budgets = List.copyOf(budgets);
    }
}
