package dev.lmforge.activities.planning;

import java.util.List;

/**
 * One budget of a hyperparameter sweep: its best run and its near-optimal set (runs within the margin of the
 * best loss), whose geometric means the laws are fitted through.
 *
 * @param compute           the budget {@code C}
 * @param points            every run at this budget
 * @param best              the run with the lowest loss
 * @param nearOptimal       the runs whose loss is at most {@code best.loss · (1 + margin)}, the best included
 * @param batchTokens       geometric mean of the near-optimal runs' batch sizes
 * @param learningRate      geometric mean of the near-optimal runs' learning rates
 */
public record HyperparameterOptimum(double compute, List<HyperparameterPoint> points, HyperparameterPoint best,
                                    List<HyperparameterPoint> nearOptimal, double batchTokens,
                                    double learningRate) {

    public HyperparameterOptimum {
        points = List.copyOf(points);
        nearOptimal = List.copyOf(nearOptimal);
    }
}
