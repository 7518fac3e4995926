package dev.lmforge.activities.evaluation;

import java.util.List;

/**
 * One figure of one evaluation: a task's metric, over {@code n} items, with the standard error of the mean where
 * the figure is a mean of independent per-item scores (null otherwise). Serialises to JSON as is.
 *
 * @param task   the task's name
 * @param metric the metric's name, e.g. {@code acc} or {@code bits_per_byte}
 * @param value  the figure
 * @param n      how many items (or bytes, for bits per byte) it is over
 * @param stderr the standard error of {@code value}, or null
 */
public record MetricResult(String task, String metric, double value, long n, Double stderr) {

    /** The mean of per-item {@code scores}, with the sample standard error of the mean (null for one item). */
    public static MetricResult mean(String task, String metric, List<Double> scores) {
        int n = scores.size();
        if (n == 0) {
            throw new IllegalArgumentException("task " + task + " has no items to average " + metric + " over");
        }
        double mean = scores.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        Double stderr = null;
        if (n > 1) {
            double squares = scores.stream().mapToDouble(s -> (s - mean) * (s - mean)).sum();
            stderr = Math.sqrt(squares / (n - 1) / n);
        }
        return new MetricResult(task, metric, mean, n, stderr);
    }
}
