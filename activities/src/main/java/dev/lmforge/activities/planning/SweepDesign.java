package dev.lmforge.activities.planning;

import dev.lmforge.activities.model.BudgetPlan;
import dev.lmforge.activities.model.ModelShape;
import dev.lmforge.activities.model.Require;
import dev.lmforge.activities.model.ScalingLaws;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The probe runs of the paper's two sweeps at one budget, each a complete {@link BudgetPlan} that spends the
 * budget (so the training stage runs a probe like any other plan):
 * <ul>
 *   <li>{@link #isoFlop}: Section 3.2's model/data splits, a range of model scales around {@code M_opt}, each
 *   trained on {@code C / M} tokens with Eq. 1's batch size and learning rate (as the paper does);</li>
 *   <li>{@link #hyperparameterGrid}: Section 3.1's batch-size × learning-rate grid around Eq. 1's values on the
 *   {@code M_opt} model.</li>
 * </ul>
 * The request's laws, sequence length, vocabulary, token limit and hardware apply to every probe.
 */
public final class SweepDesign {

    /** The default IsoFLOP span: model scales from {@code M_opt / 4} to {@code 4 · M_opt}. */
    public static final double DEFAULT_SPAN = 4;

    private SweepDesign() {
    }

    /**
     * {@code splits} model scales log-spaced from {@code M_opt / span} to {@code M_opt · span}, each snapped to
     * the nearest ladder shape (toy probe shapes included); splits that snap to the same shape are run once.
     * Fails, naming the budget, when fewer than three distinct shapes remain, since the IsoFLOP fit needs three
     * per budget.
     */
    public static List<BudgetPlan> isoFlop(BudgetRequest budget, int splits, double span) {
        if (splits < IsoFlopFitter.MIN_POINTS_PER_BUDGET) {
            throw new IllegalArgumentException("an IsoFLOP budget needs at least "
                    + IsoFlopFitter.MIN_POINTS_PER_BUDGET + " splits, got " + splits);
        }
        requireSpread("span", span);
        ScalingLaws laws = budget.lawsOrPaper();
        double c = budget.compute();
        double optimum = laws.modelScale().at(c);
        Set<ModelShape> shapes = new LinkedHashSet<>();
        for (int i = 0; i < splits; i++) {
            shapes.add(BudgetPlanner.probeShapeFor(budget, optimum * Math.pow(span, 2.0 * i / (splits - 1) - 1)));
        }
        if (shapes.size() < IsoFlopFitter.MIN_POINTS_PER_BUDGET) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "budget C = %.4g: model scales %s..%s "
                    + "give only %d distinct shapes; widen the span or raise the budget", c,
                    Figures.count(optimum / span), Figures.count(optimum * span), shapes.size()));
        }
        List<BudgetPlan> probes = new ArrayList<>();
        for (ModelShape shape : shapes) {
            probes.add(BudgetPlanner.planFor(budget, shape, laws.batchTokens().at(c), laws.learningRate().at(c),
                    new ArrayList<>()));
        }
        return probes;
    }

    /**
     * A grid of {@code batchSizes} × {@code learningRates} probes on the {@code M_opt} model, neighbouring values
     * a factor {@code ratio} apart and centred on Eq. 1's {@code B_opt} and {@code η_opt}. Batch sizes are
     * rounded to whole sequences; values that round to the same batch are run once.
     */
    public static List<BudgetPlan> hyperparameterGrid(BudgetRequest budget, int batchSizes, int learningRates,
                                                      double ratio) {
        Require.positive("batch sizes", batchSizes);
        Require.positive("learning rates", learningRates);
        requireSpread("ratio", ratio);
        ScalingLaws laws = budget.lawsOrPaper();
        double c = budget.compute();
        ModelShape shape = BudgetPlanner.plan(budget).model().shape();
        List<BudgetPlan> probes = new ArrayList<>();
        long previousBatch = -1;
        for (int i = 0; i < batchSizes; i++) {
            double batch = laws.batchTokens().at(c) * Math.pow(ratio, i - (batchSizes - 1) / 2.0);
            long sequences = Math.max(1, Math.round(batch / shape.seqLen()));
            if (sequences == previousBatch) {
                continue;
            }
            previousBatch = sequences;
            for (int j = 0; j < learningRates; j++) {
                double rate = laws.learningRate().at(c) * Math.pow(ratio, j - (learningRates - 1) / 2.0);
                probes.add(BudgetPlanner.planFor(budget, shape, batch, rate, new ArrayList<>()));
            }
        }
        return probes;
    }

    private static void requireSpread(String name, double factor) {
        if (!(factor > 1) || !Double.isFinite(factor)) {
            throw new IllegalArgumentException(name + " must be a finite factor above 1, got " + factor);
        }
    }
}
