package dev.lmforge.activities.planning;

import dev.lmforge.activities.model.LossCurveFit;
import dev.lmforge.activities.model.ScalingLaws;
import dev.lmforge.workflows.sweep.ProbeResult;
import dev.lmforge.workflows.sweep.SweepOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Turns a sweep's probe results into a {@link ScalingFit}: the grid's probes through {@link HyperparameterFitter},
 * the IsoFLOP probes through {@link IsoFlopFitter} (which fits the loss-versus-compute curve too), and the fitted
 * laws in place of the paper's. Diverged probes, and IsoFLOP probes whose step rounding moved {@code M·D} too far
 * from their budget, are left out with a note.
 */
final class SweepFitter {

    private SweepFitter() {
    }

    static ScalingFit fit(SweepSettings settings, String tokens, Double targetCompute, List<ProbeResult> results) {
        List<String> notes = new ArrayList<>();
        HyperparameterFit grid = hasKind(results, SweepOptions.HYPERPARAMETERS)
                ? fitGrid(results, settings.margin(), notes) : null;
        IsoFlopFit isoFlop = hasKind(results, SweepOptions.ISOFLOP) ? fitIsoFlop(results, notes) : null;
        ScalingLaws laws = grid != null ? lawsOf(grid) : ScalingLaws.paper();
        if (isoFlop != null) {
            laws = laws.withAllocation(isoFlop.modelScaleLaw().law(), isoFlop.dataTokensLaw().law(),
                    source("IsoFLOP", isoFlop.budgets().size()));
        }
        LossCurveFit.LossPrediction prediction = isoFlop != null && targetCompute != null
                ? isoFlop.lossCurve().predict(targetCompute) : null;
        return new ScalingFit(ScalingFit.FORMAT, tokens, settings, results, grid, isoFlop, laws, prediction, notes);
    }

    /** The paper's laws with {@code grid}'s learning-rate and batch-size laws in place of Eq. 1. */
    static ScalingLaws lawsOf(HyperparameterFit grid) {
        return ScalingLaws.paper().withHyperparameters(grid.learningRateLaw().law(), grid.batchTokensLaw().law(),
                source("hyperparameter", grid.budgets().size()));
    }

    /** The hyperparameter fit through the grid probes of {@code results}. */
    static HyperparameterFit fitGrid(List<ProbeResult> results, double margin, List<String> notes) {
        List<HyperparameterPoint> points = new ArrayList<>();
        for (ProbeResult r : usable(results, SweepOptions.HYPERPARAMETERS, notes)) {
            points.add(new HyperparameterPoint(r.compute(), r.batchTokens(), r.learningRate(), r.heldOutLoss()));
        }
        HyperparameterFit fit = HyperparameterFitter.fit(points, margin);
        fit.budgets().forEach(b -> noteGridEdge(b, notes));
        return fit;
    }

    /**
     * Notes a budget whose best probe has the grid's smallest or largest batch or learning rate: the optimum may
     * lie outside the grid, and the fitted law then follows the grid's placement rather than the losses.
     */
    private static void noteGridEdge(HyperparameterOptimum budget, List<String> notes) {
        List<String> edges = new ArrayList<>();
        edge(budget, HyperparameterPoint::batchTokens, "batch", edges);
        edge(budget, HyperparameterPoint::learningRate, "learning rate", edges);
        if (!edges.isEmpty()) {
            notes.add(String.format(Locale.ROOT, "C = %.3g: the best probe has the grid's %s, so the optimum may lie "
                    + "outside the grid; widen it (ratio, batchSizes, learningRates)", budget.compute(),
                    String.join(" and ", edges)));
        }
    }

    private static void edge(HyperparameterOptimum budget, ToDoubleFunction<HyperparameterPoint> value,
                             String what, List<String> edges) {
        double best = value.applyAsDouble(budget.best());
        double min = budget.points().stream().mapToDouble(value).min().orElseThrow();
        double max = budget.points().stream().mapToDouble(value).max().orElseThrow();
        if (best == min) {
            edges.add("smallest " + what);
        } else if (best == max) {
            edges.add("largest " + what);
        }
    }

    private static IsoFlopFit fitIsoFlop(List<ProbeResult> results, List<String> notes) {
        List<IsoFlopPoint> points = new ArrayList<>();
        for (ProbeResult r : usable(results, SweepOptions.ISOFLOP, notes)) {
            try {
                points.add(new IsoFlopPoint(r.compute(), r.modelScale(), r.tokens(), r.heldOutLoss()));
            } catch (IllegalArgumentException e) {
                notes.add(name(r) + " left out: " + e.getMessage());
            }
        }
        return IsoFlopFitter.fit(points);
    }

    /** The results of {@code kind} that did not diverge; notes those that did and those that saw held-out rows. */
    private static List<ProbeResult> usable(List<ProbeResult> results, String kind, List<String> notes) {
        List<ProbeResult> usable = new ArrayList<>();
        for (ProbeResult r : results) {
            if (!r.kind().equals(kind)) {
                continue;
            }
            if (r.diverged()) {
                notes.add(String.format(Locale.ROOT, "%s left out: its loss diverged by step %d", name(r), r.steps()));
                continue;
            }
            if (r.heldOutSeen()) {
                notes.add(String.format(Locale.ROOT, "%s trained %.2f epochs, over its held-out rows too: its loss "
                        + "is optimistic; a larger corpus or smaller budgets avoid it", name(r), r.epochs()));
            }
            usable.add(r);
        }
        return usable;
    }

    private static boolean hasKind(List<ProbeResult> results, String kind) {
        return results.stream().anyMatch(r -> r.kind().equals(kind));
    }

    private static String name(ProbeResult r) {
        return String.format(Locale.ROOT, "probe %s-%d (C = %.3g)", r.kind(), r.index(), r.compute());
    }

    private static String source(String sweep, int budgets) {
        return "fitted: " + sweep + " sweep at " + budgets + " budgets";
    }
}
