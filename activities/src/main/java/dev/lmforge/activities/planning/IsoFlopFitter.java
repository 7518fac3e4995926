package dev.lmforge.activities.planning;

import dev.lmforge.activities.model.LossCurveFit;
import dev.lmforge.activities.model.PowerLawFit;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Fits an IsoFLOP sweep as the paper's Section 3.2 does: for each budget, loss against {@code ln M} as a parabola
 * and its minimum; then {@code M_opt = k_M·C^a} and {@code D_opt = k_D·C^b} through the minima (Eq. 4's form), and
 * the loss-versus-compute curve through the minimum losses. Since {@code D_opt = C / M_opt}, the fits satisfy
 * {@code a + b = 1} and {@code k_M·k_D = 1}.
 */
public final class IsoFlopFitter {

    /** The columns of an IsoFLOP CSV file. */
    public static final List<String> CSV_COLUMNS = List.of("compute", "M", "D", "loss");

    /** A parabola needs three points. */
    public static final int MIN_POINTS_PER_BUDGET = 3;

    private IsoFlopFitter() {
    }

    /** Reads points from CSV with columns {@code compute,M,D,loss}; errors name the file and line. */
    public static List<IsoFlopPoint> readCsv(Path file) throws IOException {
        return PointsCsv.read(file, CSV_COLUMNS, v -> new IsoFlopPoint(v[0], v[1], v[2], v[3]));
    }

    /**
     * Fits {@code points}: at least two budgets, each with at least three points at three distinct {@code M}.
     * A budget whose parabola opens downward (no minimum) is a non-convergence error naming the budget.
     */
    public static IsoFlopFit fit(List<IsoFlopPoint> points) {
        Map<Double, List<IsoFlopPoint>> byBudget = new TreeMap<>();
        for (IsoFlopPoint p : points) {
            byBudget.computeIfAbsent(p.compute(), c -> new ArrayList<>()).add(p);
        }
        if (byBudget.size() < 2) {
            throw new IllegalArgumentException("an IsoFLOP fit needs at least 2 budgets, got " + byBudget.size());
        }
        List<IsoFlopOptimum> optima = new ArrayList<>();
        List<PowerLawFit.Point> modelScale = new ArrayList<>();
        List<PowerLawFit.Point> tokens = new ArrayList<>();
        List<PowerLawFit.Point> losses = new ArrayList<>();
        for (Map.Entry<Double, List<IsoFlopPoint>> budget : byBudget.entrySet()) {
            IsoFlopOptimum optimum = fitBudget(budget.getKey(), budget.getValue());
            optima.add(optimum);
            modelScale.add(new PowerLawFit.Point(optimum.compute(), optimum.optimalModelScale()));
            tokens.add(new PowerLawFit.Point(optimum.compute(), optimum.optimalTokens()));
            losses.add(new PowerLawFit.Point(optimum.compute(), optimum.minimumLoss()));
        }
        return new IsoFlopFit(optima, PowerLawFitter.fit(modelScale), PowerLawFitter.fit(tokens),
                new LossCurveFit(PowerLawFitter.fit(losses)));
    }

    private static IsoFlopOptimum fitBudget(double compute, List<IsoFlopPoint> points) {
        String budget = String.format(Locale.ROOT, "budget C = %.4g", compute);
        if (points.size() < MIN_POINTS_PER_BUDGET) {
            throw new IllegalArgumentException(budget + " has " + points.size()
                    + " point(s); a parabola needs at least " + MIN_POINTS_PER_BUDGET);
        }
        int n = points.size();
        double center = 0;
        double lowest = Double.POSITIVE_INFINITY;
        double highest = Double.NEGATIVE_INFINITY;
        for (IsoFlopPoint p : points) {
            double u = Math.log(p.modelScale());
            center += u / n;
            lowest = Math.min(lowest, u);
            highest = Math.max(highest, u);
        }
        double[][] design = new double[n][];
        double[] loss = new double[n];
        for (int i = 0; i < n; i++) {
            double t = Math.log(points.get(i).modelScale()) - center;
            design[i] = new double[] {1, t, t * t};
            loss[i] = points.get(i).loss();
        }
        LeastSquares.Solution s;
        try {
            s = LeastSquares.solve(design, loss);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(budget + ": needs at least 3 distinct M values", e);
        }
        double[] c = s.coefficients();
        if (!(c[2] > 0)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s did not converge: loss against ln M "
                    + "fits a parabola opening downward (curvature %.3g), so it has no minimum", budget, c[2]));
        }
        Parabola curve = new Parabola(center, c[0], c[1], c[2]);
        double vertex = curve.vertex();
        double optimalModelScale = Math.exp(vertex);
        List<Double> residuals = new ArrayList<>(n);
        for (double r : s.residuals()) {
            residuals.add(r);
        }
        List<Double> stdErrs = s.covariance() == null ? null : List.of(s.stdErr(0), s.stdErr(1), s.stdErr(2));
        return new IsoFlopOptimum(compute, points, curve, stdErrs, residuals, optimalModelScale,
                compute / optimalModelScale, curve.at(vertex), vertexStdErr(c, s.covariance()),
                vertex >= lowest && vertex <= highest);
    }

    /** Delta method for {@code −c1 / (2·c2)}: gradient {@code (−1/(2c2), c1/(2c2²))} against the covariance. */
    private static Double vertexStdErr(double[] c, double[][] covariance) {
        if (covariance == null) {
            return null;
        }
        double g1 = -1 / (2 * c[2]);
        double g2 = c[1] / (2 * c[2] * c[2]);
        double variance = g1 * g1 * covariance[1][1] + 2 * g1 * g2 * covariance[1][2] + g2 * g2 * covariance[2][2];
        return Math.sqrt(Math.max(0, variance));
    }
}
