package dev.lmforge.activities.planning;

import dev.lmforge.activities.model.Require;
import java.util.Locale;

/**
 * One probe run of an IsoFLOP sweep: its budget, model scale, training tokens and final generalisation error
 * (e.g. validation bits per byte). Points of one budget share its {@code compute} value exactly; {@code M·D} may
 * differ from it by step rounding, but not by more than {@value #MAX_BUDGET_MISMATCH} (relative), which catches
 * swapped columns.
 *
 * @param compute    the budget {@code C} in FLOPs
 * @param modelScale {@code M}, non-embedding FLOPs per token (Eq. 2)
 * @param tokens     {@code D}, training tokens
 * @param loss       the run's generalisation error
 */
public record IsoFlopPoint(double compute, double modelScale, double tokens, double loss) {

    /** The largest relative gap allowed between {@code M·D} and the budget. */
    public static final double MAX_BUDGET_MISMATCH = 0.25;

    public IsoFlopPoint {
        Require.positiveFinite("compute", compute);
        Require.positiveFinite("M", modelScale);
        Require.positiveFinite("D", tokens);
        Require.positiveFinite("loss", loss);
        double spent = modelScale * tokens;
        if (Math.abs(spent / compute - 1) > MAX_BUDGET_MISMATCH) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, 
                    "M·D = %.4g is more than %.0f %% away from compute = %.4g", spent, 100 * MAX_BUDGET_MISMATCH,
                    compute));
        }
    }
}
