package dev.lmforge.activities.planning;

import dev.lmforge.activities.model.LossCurveFit;
import dev.lmforge.activities.model.PowerLawFit;
import java.util.List;

/**
 * An IsoFLOP sweep, fitted (the paper's Section 3.2, Figure 4): each budget's optimum, the allocation laws
 * {@code M_opt = k_M·C^a} and {@code D_opt = k_D·C^b} through them, and the loss-versus-compute curve.
 *
 * @param budgets         each budget's curve and optimum, by increasing compute
 * @param modelScaleLaw   {@code M_opt} against {@code C}: coefficient {@code k_M}, exponent {@code a}
 * @param dataTokensLaw   {@code D_opt} against {@code C}: coefficient {@code k_D}, exponent {@code b}
 * @param lossCurve       the minimum loss against {@code C}
 */
public record IsoFlopFit(List<IsoFlopOptimum> budgets, PowerLawFit modelScaleLaw, PowerLawFit dataTokensLaw,
                         LossCurveFit lossCurve) {

    public IsoFlopFit {
        budgets = List.copyOf(budgets);
    }
}
