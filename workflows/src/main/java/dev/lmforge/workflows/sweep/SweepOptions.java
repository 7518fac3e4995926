package dev.lmforge.workflows.sweep;

import java.util.List;

/**
 * What a scaling sweep runs, as a spec's {@code plan.sweep} gives it. Every field is optional; the compute side
 * fills an absent one with its default (named below), so the defaults that come from the paper stay next to the
 * paper's other numbers.
 *
 * @param kind          {@value #ISOFLOP}, {@value #HYPERPARAMETERS} or {@value #BOTH} (default); with both, the
 *                      hyperparameter sweep runs first and the IsoFLOP probes train with its fitted laws
 * @param budgets       the probe budgets in FLOPs, at least three distinct ones (so the fitted exponents have
 *                      uncertainties); default three spread below the run's own budget
 * @param splits        IsoFLOP model/data splits per budget (default 10)
 * @param span          IsoFLOP model scales run from {@code M_opt / span} to {@code M_opt · span} (default 4)
 * @param batchSizes    batch sizes of the hyperparameter grid per budget (default 3)
 * @param learningRates learning rates of the hyperparameter grid per budget (default 3)
 * @param ratio         the factor between neighbouring grid values (default 2)
 * @param margin        near-optimal means a held-out loss within this fraction of a budget's best (default the
 *                      paper's 0.25 %)
 * @param heldOutRows   rows of the token stream every probe is evaluated on (default 64)
 * @param seed          seeds every probe's initial weights and data order (default 0)
 * @param threads       TensorFlow threads per probe (default 1: probes run side by side)
 * @param queue         the compute queue probes run on, {@value #CPU_QUEUE} (default) or {@value #GPU_QUEUE}
 */
public record SweepOptions(String kind, List<Double> budgets, Integer splits, Double span, Integer batchSizes,
                           Integer learningRates, Double ratio, Double margin, Integer heldOutRows, Long seed,
                           Integer threads, String queue) {

    public static final String ISOFLOP = "isoflop";
    public static final String HYPERPARAMETERS = "hyperparameters";
    public static final String BOTH = "both";
    public static final List<String> KINDS = List.of(ISOFLOP, HYPERPARAMETERS, BOTH);

    public static final String CPU_QUEUE = "cpu";
    public static final String GPU_QUEUE = "gpu";

    /** Whether the sweep runs the hyperparameter grid. */
    public boolean runsHyperparameters() {
        return kind == null || kind.equals(BOTH) || kind.equals(HYPERPARAMETERS);
    }

    /** Whether the sweep runs IsoFLOP splits. */
    public boolean runsIsoFlop() {
        return kind == null || kind.equals(BOTH) || kind.equals(ISOFLOP);
    }

    /** Whether the probes run on the gpu queue. */
    public boolean onGpu() {
        return GPU_QUEUE.equals(queue);
    }
}
