package dev.lmforge.activities.model;

/**
 * A trained causal language model as evaluation and alignment see it: log-probabilities of given tokens, and
 * step-by-step decoding that reuses its key/value cache. The TensorFlow decoder implements it; tests may use
 * small fakes whose names say so.
 */
public interface LanguageModel extends AutoCloseable {

    /** Token ids run from 0 to {@code vocabularySize() - 1}. */
    int vocabularySize();

    /** The longest sequence the model attends over (its training sequence length). */
    int contextLength();

    /**
     * For each row, {@code log p(row[i] | row[0..i-1])} in nats for {@code i = 1 .. row.length - 1}: an array one
     * shorter than the row. Rows may differ in length; each holds 2 to {@code contextLength() + 1} ids.
     */
    float[][] tokenLogProbabilities(int[][] rows);

    /** Starts decoding after {@code prompt} (1 to {@code contextLength()} ids). */
    Decoding startDecoding(int[] prompt);

    /** One decoding stream: the distribution of the next token, then the token chosen, and so on. */
    interface Decoding extends AutoCloseable {

        /** Log-probabilities (nats) of every possible next token, {@code vocabularySize()} values. */
        float[] nextLogProbabilities();

        /** Appends the chosen token; fails once the stream holds {@code contextLength()} tokens. */
        void append(int token);

        @Override
        void close();
    }

    @Override
    void close();
}
