package dev.lmforge.activities.planning;

import java.util.List;

/**
 * One budget of an IsoFLOP sweep, fitted: loss against {@code ln M} as a parabola, and its minimum.
 *
 * @param compute             the budget {@code C}
 * @param points              the budget's probe runs
 * @param curve               loss as a function of {@code u = ln M}
 * @param curveStdErrs        standard errors of {@code c0, c1, c2}, or null with exactly three points
 * @param residuals           loss minus the curve, per point
 * @param optimalModelScale   {@code M} at the curve's minimum
 * @param optimalTokens       {@code C / M} at the minimum
 * @param minimumLoss         the curve's minimum
 * @param logModelScaleStdErr standard error of {@code ln M_opt} (delta method), or null with exactly three points
 * @param withinSweep         whether the minimum lies inside the sampled range of {@code M}; when not, it is an
 *                            extrapolation and the sweep should be widened on that side
 */
public record IsoFlopOptimum(double compute, List<IsoFlopPoint> points, Parabola curve, List<Double> curveStdErrs,
                             List<Double> residuals, double optimalModelScale, double optimalTokens,
                             double minimumLoss, Double logModelScaleStdErr, boolean withinSweep) {

    public IsoFlopOptimum {
        points = List.copyOf(points);
        curveStdErrs = curveStdErrs == null ? null : List.copyOf(curveStdErrs);
        residuals = List.copyOf(residuals);
    }
}
