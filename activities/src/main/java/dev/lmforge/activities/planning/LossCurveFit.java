package dev.lmforge.activities.planning;

import java.util.List;

/**
 * The loss-versus-compute curve (the paper's Figure 5) through the minimum losses of an IsoFLOP sweep, used to
 * predict the loss of a run with far more compute.
 *
 * <p>The form is a straight line in log-log space, {@code L(C) = k·C^e} with {@code e < 0}, which is how Figure 5
 * plots it. The alternative {@code L = E + A·C^-α} has a third, irreducible-loss parameter that a sweep of a
 * handful of budgets pins down poorly; over the thousandfold extrapolation the paper makes, the pure power law
 * is the steadier of the two.
 *
 * @param law the fitted power law: {@code x} is compute, {@code y} the minimum loss
 */
public record LossCurveFit(PowerLawFit law) {

    /**
     * A predicted loss, with a ±1 standard-error band from the fit's own uncertainty (null when the fit has
     * none).
     */
    public record LossPrediction(double compute, double loss, Double lower, Double upper) {

        /** {@code (measured − predicted) / predicted}: what to record once the big run has finished. */
        public double relativeError(double measuredLoss) {
            return (measuredLoss - loss) / loss;
        }
    }

    /** Fits the curve through {@code (compute, loss)} points; at least two budgets. */
    public static LossCurveFit fit(List<PowerLawFit.Point> computeAndLoss) {
        return new LossCurveFit(PowerLawFitter.fit(computeAndLoss));
    }

    /** The predicted loss at {@code compute}. */
    public LossPrediction predict(double compute) {
        double loss = law.predict(compute);
        Double stdErr = law.logStdErrAt(compute);
        if (stdErr == null) {
            return new LossPrediction(compute, loss, null, null);
        }
        return new LossPrediction(compute, loss, loss * Math.exp(-stdErr), loss * Math.exp(stdErr));
    }
}
