package dev.lmforge.activities.planning;

import dev.lmforge.activities.model.PaperLaws;
import dev.lmforge.activities.model.Require;
import dev.lmforge.workflows.sweep.SweepOptions;
import java.util.List;

/**
 * A sweep's options with every default filled in: what the probes and the fit actually used (the fit artifact
 * records it).
 *
 * @param kind          {@code isoflop}, {@code hyperparameters} or {@code both}
 * @param budgets       the probe budgets, ascending and distinct
 * @param splits        IsoFLOP splits per budget
 * @param span          IsoFLOP span around {@code M_opt}
 * @param batchSizes    grid batch sizes per budget
 * @param learningRates grid learning rates per budget
 * @param ratio         factor between neighbouring grid values
 * @param margin        the near-optimal margin
 * @param heldOutRows   held-out rows every probe is measured on
 * @param seed          the probes' seed
 * @param threads       TensorFlow threads per probe
 */
public record SweepSettings(String kind, List<Double> budgets, int splits, double span, int batchSizes,
                            int learningRates, double ratio, double margin, int heldOutRows, long seed, int threads) {

    /**
     * Default probe budgets as fractions of the run's budget: three, a factor ~3 apart, that together with the
     * default grid and splits cost a few per cent of the run (the paper's sweeps cost about 1 %).
     */
    static final List<Double> DEFAULT_BUDGET_FRACTIONS = List.of(1e-4, 3e-4, 1e-3);
    static final int DEFAULT_SPLITS = 10;
    static final int DEFAULT_GRID_SIDE = 3;
    static final double DEFAULT_GRID_RATIO = 2;
    static final int DEFAULT_HELD_OUT_ROWS = 64;

    /**
     * {@code options} over the defaults. Without budgets the sweep needs {@code targetCompute}, the budget of the
     * run it plans for.
     */
    public static SweepSettings resolve(SweepOptions options, Double targetCompute) {
        List<Double> budgets;
        if (options.budgets() != null) {
            budgets = options.budgets().stream().distinct().sorted().toList();
        } else if (targetCompute != null) {
            budgets = DEFAULT_BUDGET_FRACTIONS.stream().map(f -> f * targetCompute).toList();
        } else {
            throw new IllegalArgumentException("budgets: required when the sweep plans for no compute budget");
        }
        budgets.forEach(b -> Require.positiveFinite("budgets", b));
        return new SweepSettings(options.kind() != null ? options.kind() : SweepOptions.BOTH, budgets,
                or(options.splits(), DEFAULT_SPLITS), or(options.span(), SweepDesign.DEFAULT_SPAN),
                or(options.batchSizes(), DEFAULT_GRID_SIDE), or(options.learningRates(), DEFAULT_GRID_SIDE),
                or(options.ratio(), DEFAULT_GRID_RATIO), or(options.margin(), PaperLaws.NEAR_OPTIMAL_MARGIN),
                or(options.heldOutRows(), DEFAULT_HELD_OUT_ROWS), or(options.seed(), 0L), or(options.threads(), 1));
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
