package dev.lmforge.activities.model;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * Greedy decoding through the model's key/value cache ({@link LanguageModel#startDecoding}): the most likely
 * token each step (or, given a {@link TokenSampler}, a drawn one), until the document end token, a stop sequence,
 * or the token limit.
 */
public final class GreedyDecoder {

    private final ModelWithTokenizer model;
    private final TokenSampler sampler;

    /** Greedy: the most likely token each step. */
    public GreedyDecoder(ModelWithTokenizer model) {
        this(model, null);
    }

    /** Draws each token with {@code sampler}; greedy when it is null. */
    public GreedyDecoder(ModelWithTokenizer model, TokenSampler sampler) {
        this.model = model;
        this.sampler = sampler;
    }

    /** Why a generation ended. */
    public enum StopReason {
        /** Its text reached one of the stop sequences. */
        STOP_SEQUENCE,
        /** The model chose the document end token. */
        DOCUMENT_END,
        /** It reached the token limit. */
        MAX_NEW_TOKENS
    }

    /**
     * What the model wrote.
     *
     * @param text     the decoded text, cut before the first stop sequence
     * @param tokens   every token chosen, the document end token excepted
     * @param stoppedBy why it ended
     */
    public record Generation(String text, int[] tokens, StopReason stoppedBy) {
    }

    /**
     * Told after each chosen token that does not end the generation, with the text so far: a server streams it.
     * An exception it throws (the client went away) ends the generation and is thrown on.
     */
    @FunctionalInterface
    public interface Progress {
        void wrote(int tokens, String textSoFar) throws IOException;
    }

    /**
     * Generates after {@code prompt}. A prompt too long to leave room for {@code maxNewTokens} in the context
     * loses its oldest tokens.
     *
     * @param stops        decoding stops as soon as the text holds one of these (none empty)
     * @param maxNewTokens the most tokens to choose, 1 to the context length - 1
     */
    public Generation generate(int[] prompt, List<String> stops, int maxNewTokens) {
        try {
            return generate(prompt, stops, maxNewTokens, (tokens, text) -> { });
        } catch (IOException e) {
            throw new AssertionError("a progress that throws nothing threw", e);
        }
    }

    /** As {@link #generate(int[], List, int)}, telling {@code progress} of each token as it is chosen. */
    public Generation generate(int[] prompt, List<String> stops, int maxNewTokens, Progress progress)
            throws IOException {
        int window = model.model().contextLength();
        if (maxNewTokens < 1 || maxNewTokens >= window) {
            throw new IllegalArgumentException("max new tokens must be 1 to " + (window - 1) + " for a context of "
                    + window + ", not " + maxNewTokens);
        }
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty");
        }
        // The stream holds the prompt and every chosen token but the last.
        int room = window - (maxNewTokens - 1);
        int[] kept = prompt.length > room ? Arrays.copyOfRange(prompt, prompt.length - room, prompt.length) : prompt;
        int end = model.documentEnd();
        int[] chosen = new int[maxNewTokens];
        try (LanguageModel.Decoding decoding = model.model().startDecoding(kept)) {
            for (int step = 0; step < maxNewTokens; step++) {
                float[] next = decoding.nextLogProbabilities();
                int token = sampler == null ? argmax(next) : sampler.choose(next);
                if (token == end) {
                    int[] tokens = Arrays.copyOf(chosen, step);
                    return new Generation(model.tokenizer().decode(tokens), tokens, StopReason.DOCUMENT_END);
                }
                chosen[step] = token;
                String text = model.tokenizer().decode(Arrays.copyOf(chosen, step + 1));
                int cut = firstStop(text, stops);
                if (cut >= 0) {
                    return new Generation(text.substring(0, cut), Arrays.copyOf(chosen, step + 1),
                            StopReason.STOP_SEQUENCE);
                }
                if (step + 1 < maxNewTokens) {
                    progress.wrote(step + 1, text);
                    decoding.append(token);
                }
            }
        }
        return new Generation(model.tokenizer().decode(chosen), chosen, StopReason.MAX_NEW_TOKENS);
    }

    /** Where the earliest stop sequence starts in {@code text}, or -1. */
    static int firstStop(String text, List<String> stops) {
        int first = -1;
        for (String stop : stops) {
            int at = text.indexOf(stop);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
            }
        }
        return first;
    }

    /** The first index of the largest value. */
    static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
