package dev.lmforge.activities.model;

import java.util.List;

/**
 * A power law {@code y = coefficient · x^exponent} fitted by least squares on {@code ln y = ln k + e·ln x}, with
 * what a plot needs: the points, the constants with standard errors, and the residuals in {@code ln y}.
 * Standard errors are null when the fit has no spare degree of freedom (two points).
 *
 * @param points            the fitted points
 * @param coefficient       {@code k}
 * @param exponent          {@code e}
 * @param coefficientStdErr standard error of {@code k} (delta method: {@code k · se(ln k)})
 * @param exponentStdErr    standard error of {@code e}
 * @param meanLogX          the mean of {@code ln x}, where the fit is most certain
 * @param meanLogYStdErr    standard error of the fitted {@code ln y} at {@code ln x = meanLogX}
 * @param logResiduals      {@code ln y − ln ŷ} for each point, in order
 * @param rSquared          the share of the variance of {@code ln y} the fit explains
 */
public record PowerLawFit(List<Point> points, double coefficient, double exponent, Double coefficientStdErr,
                          Double exponentStdErr, double meanLogX, Double meanLogYStdErr, List<Double> logResiduals,
                          double rSquared) {

    /** One observation. */
    public record Point(double x, double y) {
    }

    public PowerLawFit {
        points = List.copyOf(points);
        logResiduals = List.copyOf(logResiduals);
    }

    /** The fitted law. */
    public PowerLaw law() {
        return new PowerLaw(coefficient, exponent);
    }

    /** The fitted {@code y} at {@code x}. */
    public double predict(double x) {
        return law().at(x);
    }

    /**
     * Standard error of the fitted {@code ln y} at {@code x} (the fit's own uncertainty, not the scatter of new
     * points): it grows with the distance of {@code ln x} from {@link #meanLogX}. Null when the fit has none.
     */
    public Double logStdErrAt(double x) {
        if (meanLogYStdErr == null) {
            return null;
        }
        double offset = Math.log(x) - meanLogX;
        return Math.sqrt(meanLogYStdErr * meanLogYStdErr + offset * offset * exponentStdErr * exponentStdErr);
    }
}
