package dev.lmforge.activities.planning;

import dev.lmforge.activities.model.PaperLaws;
import dev.lmforge.activities.model.PowerLawFit;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Fits the hyperparameter laws as the paper's Section 3.1 does: at each budget the near-optimal set is every
 * run whose loss is within a relative margin of the budget's best (0.25 % in the paper), and the power laws
 * {@code η_opt = a·C^α}, {@code B_opt = b·C^β} are fitted through each set's geometric mean batch size and
 * learning rate. The mean rather than the single best run: the near-optimal region is a wide plateau (Figure 2)
 * on a logarithmic grid, and its centre moves far less with noise than its argmin does.
 */
public final class HyperparameterFitter {

    /** The columns of a hyperparameter-sweep CSV file. */
    public static final List<String> CSV_COLUMNS = List.of("compute", "batch_tokens", "lr", "loss");

    /** Fewer runs than this at a budget do not make a grid. */
    public static final int MIN_POINTS_PER_BUDGET = 3;

    private HyperparameterFitter() {
    }

    /** Reads points from CSV with columns {@code compute,batch_tokens,lr,loss}; errors name the file and line. */
    public static List<HyperparameterPoint> readCsv(Path file) throws IOException {
        return PointsCsv.read(file, CSV_COLUMNS, v -> new HyperparameterPoint(v[0], v[1], v[2], v[3]));
    }

    /** Fits with the paper's margin, {@link PaperLaws#NEAR_OPTIMAL_MARGIN}. */
    public static HyperparameterFit fit(List<HyperparameterPoint> points) {
        return fit(points, PaperLaws.NEAR_OPTIMAL_MARGIN);
    }

    /**
     * Fits {@code points} (at least two budgets of at least three runs each) with near-optimal meaning a loss of
     * at most {@code best · (1 + margin)}.
     */
    public static HyperparameterFit fit(List<HyperparameterPoint> points, double margin) {
        if (!(margin >= 0) || !Double.isFinite(margin)) {
            throw new IllegalArgumentException("margin must be a finite non-negative fraction, got " + margin);
        }
        Map<Double, List<HyperparameterPoint>> byBudget = new TreeMap<>();
        for (HyperparameterPoint p : points) {
            byBudget.computeIfAbsent(p.compute(), c -> new ArrayList<>()).add(p);
        }
        if (byBudget.size() < 2) {
            throw new IllegalArgumentException("a hyperparameter fit needs at least 2 budgets, got "
                    + byBudget.size());
        }
        List<HyperparameterOptimum> optima = new ArrayList<>();
        List<PowerLawFit.Point> learningRates = new ArrayList<>();
        List<PowerLawFit.Point> batches = new ArrayList<>();
        for (Map.Entry<Double, List<HyperparameterPoint>> budget : byBudget.entrySet()) {
            HyperparameterOptimum optimum = nearOptimal(budget.getKey(), budget.getValue(), margin);
            optima.add(optimum);
            learningRates.add(new PowerLawFit.Point(optimum.compute(), optimum.learningRate()));
            batches.add(new PowerLawFit.Point(optimum.compute(), optimum.batchTokens()));
        }
        return new HyperparameterFit(margin, optima, PowerLawFitter.fit(learningRates), PowerLawFitter.fit(batches));
    }

    private static HyperparameterOptimum nearOptimal(double compute, List<HyperparameterPoint> points,
                                                     double margin) {
        if (points.size() < MIN_POINTS_PER_BUDGET) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "budget C = %.4g has %d run(s); a sweep "
                    + "needs at least %d per budget", compute, points.size(), MIN_POINTS_PER_BUDGET));
        }
        HyperparameterPoint best = points.stream().min(Comparator.comparingDouble(HyperparameterPoint::loss))
                .orElseThrow();
        double threshold = best.loss() * (1 + margin);
        List<HyperparameterPoint> near = points.stream().filter(p -> p.loss() <= threshold).toList();
        double logBatch = 0;
        double logRate = 0;
        for (HyperparameterPoint p : near) {
            logBatch += Math.log(p.batchTokens()) / near.size();
            logRate += Math.log(p.learningRate()) / near.size();
        }
        return new HyperparameterOptimum(compute, points, best, near, Math.exp(logBatch), Math.exp(logRate));
    }
}
