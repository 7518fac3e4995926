package dev.lmforge.activities.planning;

import dev.lmforge.activities.model.PowerLawFit;
import dev.lmforge.activities.model.Require;
import java.util.ArrayList;
import java.util.List;

/** Fits {@code y = k·x^e} by least squares in log-log space, as the paper fits Eq. 1 and Eq. 4. */
public final class PowerLawFitter {

    private PowerLawFitter() {
    }

    /**
     * Fits {@code points}: at least two, with at least two distinct {@code x}, every {@code x} and {@code y}
     * positive and finite (an error names the first point that is not).
     */
    public static PowerLawFit fit(List<PowerLawFit.Point> points) {
        int n = points.size();
        if (n < 2) {
            throw new IllegalArgumentException("a power law needs at least 2 points, got " + n);
        }
        double meanLogX = 0;
        for (int i = 0; i < n; i++) {
            PowerLawFit.Point p = points.get(i);
            Require.positiveFinite("point " + (i + 1) + ": x", p.x());
            Require.positiveFinite("point " + (i + 1) + ": y", p.y());
            meanLogX += Math.log(p.x()) / n;
        }
        // Centring ln x makes the intercept and slope uncorrelated and keeps the normal equations well scaled.
        double[][] design = new double[n][];
        double[] logY = new double[n];
        for (int i = 0; i < n; i++) {
            design[i] = new double[] {1, Math.log(points.get(i).x()) - meanLogX};
            logY[i] = Math.log(points.get(i).y());
        }
        LeastSquares.Solution s;
        try {
            s = LeastSquares.solve(design, logY);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a power law needs at least 2 distinct x values", e);
        }
        double intercept = s.coefficients()[0];
        double exponent = s.coefficients()[1];
        double coefficient = Math.exp(intercept - exponent * meanLogX);
        Double interceptErr = s.stdErr(0);
        Double exponentErr = s.stdErr(1);
        Double coefficientErr = interceptErr == null ? null : coefficient
                * Math.sqrt(interceptErr * interceptErr + meanLogX * meanLogX * exponentErr * exponentErr);

        double meanLogY = 0;
        for (double v : logY) {
            meanLogY += v / n;
        }
        double total = 0;
        double residual = 0;
        List<Double> residuals = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            total += (logY[i] - meanLogY) * (logY[i] - meanLogY);
            residual += s.residuals()[i] * s.residuals()[i];
            residuals.add(s.residuals()[i]);
        }
        double rSquared = total == 0 ? 1 : 1 - residual / total;
        return new PowerLawFit(points, coefficient, exponent, coefficientErr, exponentErr, meanLogX, interceptErr,
                residuals, rSquared);
    }
}
