package dev.lmforge.activities.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A fake {@link LanguageModel} for tests: the log-probability of {@code row[i]} given {@code row[0..i-1]} comes
 * from a formula the test supplies, for scoring and for decoding alike. It enforces the interface's limits and
 * records the rows it was asked to score.
 */
public final class FormulaFakeModel implements LanguageModel {

    /** {@code log p(row[i] | row[0..i-1])} in nats. */
    @FunctionalInterface
    public interface Formula {
        double logProbability(int[] row, int i);
    }

    private final int vocabularySize;
    private final int contextLength;
    private final Formula formula;
    public final List<int[]> scoredRows = new ArrayList<>();
    public final List<Integer> batchSizes = new ArrayList<>();

    public FormulaFakeModel(int vocabularySize, int contextLength, Formula formula) {
        this.vocabularySize = vocabularySize;
        this.contextLength = contextLength;
        this.formula = formula;
    }

    @Override
    public int vocabularySize() {
        return vocabularySize;
    }

    @Override
    public int contextLength() {
        return contextLength;
    }

    @Override
    public float[][] tokenLogProbabilities(int[][] rows) {
        batchSizes.add(rows.length);
        float[][] out = new float[rows.length][];
        for (int r = 0; r < rows.length; r++) {
            int[] row = rows[r];
            if (row.length < 2 || row.length > contextLength + 1) {
                throw new IllegalArgumentException("row of " + row.length + " ids for a context of " + contextLength);
            }
            scoredRows.add(row.clone());
            out[r] = new float[row.length - 1];
            for (int i = 1; i < row.length; i++) {
                out[r][i - 1] = (float) formula.logProbability(row, i);
            }
        }
        return out;
    }

    @Override
    public Decoding startDecoding(int[] prompt) {
        if (prompt.length < 1 || prompt.length > contextLength) {
            throw new IllegalArgumentException("prompt of " + prompt.length + " ids for a context of " + contextLength);
        }
        int[][] held = {prompt.clone()};
        return new Decoding() {
            @Override
            public float[] nextLogProbabilities() {
                int[] row = Arrays.copyOf(held[0], held[0].length + 1);
                float[] next = new float[vocabularySize];
                for (int token = 0; token < vocabularySize; token++) {
                    row[row.length - 1] = token;
                    next[token] = (float) formula.logProbability(row, row.length - 1);
                }
                return next;
            }

            @Override
            public void append(int token) {
                if (held[0].length == contextLength) {
                    throw new IllegalStateException("the stream already holds " + contextLength + " tokens");
                }
                held[0] = Arrays.copyOf(held[0], held[0].length + 1);
                held[0][held[0].length - 1] = token;
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public void close() {
    }
}
