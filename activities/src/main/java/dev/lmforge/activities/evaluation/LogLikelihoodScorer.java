package dev.lmforge.activities.evaluation;

import dev.lmforge.activities.model.LanguageModel;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Sums the model's log-probabilities over the scored part of many rows, sending them through
 * {@link LanguageModel#tokenLogProbabilities} in batches. Rows go longest first so that a batch holds rows of
 * similar length and a padded implementation wastes little.
 */
public final class LogLikelihoodScorer {

    private final LanguageModel model;
    private final int batchSize;

    /** @param batchSize rows per call of the model, at least 1 */
    public LogLikelihoodScorer(LanguageModel model, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, not " + batchSize);
        }
        this.model = model;
        this.batchSize = batchSize;
    }

    /** Rows per call of the model. */
    public int batchSize() {
        return batchSize;
    }

    /** For each row, the sum in nats of {@code log p(ids[i] | ids[0..i-1])} over its scored positions. */
    public double[] sumLogProbabilities(List<ScoredRow> rows) {
        int limit = model.contextLength() + 1;
        for (ScoredRow row : rows) {
            if (row.ids().length > limit) {
                throw new IllegalArgumentException("a row of " + row.ids().length + " ids exceeds the model's context of "
                        + model.contextLength() + " plus one");
            }
        }
        Integer[] order = IntStream.range(0, rows.size()).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> -rows.get(i).ids().length));
        double[] sums = new double[rows.size()];
        for (int start = 0; start < order.length; start += batchSize) {
            int end = Math.min(order.length, start + batchSize);
            int[][] batch = new int[end - start][];
            for (int k = start; k < end; k++) {
                batch[k - start] = rows.get(order[k]).ids();
            }
            float[][] logProbabilities = model.tokenLogProbabilities(batch);
            for (int k = start; k < end; k++) {
                ScoredRow row = rows.get(order[k]);
                float[] values = logProbabilities[k - start];
                double sum = 0;
                // values[i - 1] is the log-probability of ids[i].
                for (int i = row.from(); i < row.ids().length; i++) {
                    sum += values[i - 1];
                }
                sums[order[k]] = sum;
            }
        }
        return sums;
    }
}
