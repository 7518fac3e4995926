package dev.lmforge.activities.evaluation;

import dev.lmforge.activities.model.ModelWithTokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Bits per byte on held-out text, the paper's generalisation error (Section 3.2): the total negative
 * log-likelihood in bits of each text's tokens, divided by its UTF-8 bytes, so that models with tokenizers of
 * any size compare.
 *
 * <p>Each text is read as the document start token followed by its tokens, so every token of the text is scored.
 * A text longer than the model's context is read in sliding windows of {@code contextLength + 1} ids whose ends
 * advance by {@code stride}: each window scores only the tokens after the previous window's end, so every token is
 * scored exactly once, with at least {@code contextLength - stride + 1} tokens of left context (or all of them,
 * near a text's start). A stride of 1 gives every token the full window; larger strides trade context for speed.
 */
public final class BitsPerByte {

    /** The metric's name in results. */
    public static final String METRIC = "bits_per_byte";

    private final ModelWithTokenizer model;
    private final LogLikelihoodScorer scorer;
    private final int stride;

    /**
     * @param stride    how far each window's end moves past the last, 1 to the model's context length
     * @param batchSize windows per call of the model
     */
    public BitsPerByte(ModelWithTokenizer model, int stride, int batchSize) {
        int window = model.model().contextLength();
        if (stride < 1 || stride > window) {
            throw new IllegalArgumentException("stride must be 1 to the context length " + window + ", not " + stride);
        }
        this.model = model;
        this.scorer = new LogLikelihoodScorer(model.model(), batchSize);
        this.stride = stride;
    }

    /**
     * The totals over {@code texts}; special token strings in them are plain text.
     *
     * @throws IllegalArgumentException if the texts hold no bytes at all
     */
    public Result measure(Iterable<String> texts) {
        int window = model.model().contextLength();
        List<ScoredRow> pending = new ArrayList<>();
        double nats = 0;
        long bytes = 0;
        long tokens = 0;
        int documents = 0;
        for (String text : texts) {
            documents++;
            bytes += text.getBytes(StandardCharsets.UTF_8).length;
            int[] ids = model.encodeDocument(text, false);
            tokens += ids.length - 1;
            if (ids.length < 2) {
                continue;
            }
            for (Window w : windows(ids.length, window, stride)) {
                int[] row = new int[w.end() - w.begin()];
                System.arraycopy(ids, w.begin(), row, 0, row.length);
                pending.add(new ScoredRow(row, w.firstScored() - w.begin()));
                if (pending.size() == scorer.batchSize()) {
                    nats += sum(pending);
                }
            }
        }
        nats += sum(pending);
        if (bytes == 0) {
            throw new IllegalArgumentException("no held-out bytes to measure: " + documents + " empty texts");
        }
        double bits = -nats / Math.log(2);
        return new Result(bits / bytes, bits, bytes, tokens, documents);
    }

    private double sum(List<ScoredRow> rows) {
        double total = 0;
        for (double s : scorer.sumLogProbabilities(rows)) {
            total += s;
        }
        rows.clear();
        return total;
    }

    /**
     * The windows over a sequence of {@code length} ids (position 0 is the document start, never scored).
     *
     * @param window the model's context length: a window holds up to {@code window + 1} ids
     */
    static List<Window> windows(int length, int window, int stride) {
        List<Window> windows = new ArrayList<>();
        int scored = 0;
        int end = Math.min(window + 1, length);
        while (true) {
            windows.add(new Window(Math.max(0, end - window - 1), end, scored + 1));
            scored = end - 1;
            if (end == length) {
                return windows;
            }
            end = Math.min(end + stride, length);
        }
    }

    /** Ids {@code [begin, end)} of a sequence go to the model; positions {@code firstScored .. end - 1} are scored. */
    record Window(int begin, int end, int firstScored) {
    }

    /**
     * The totals over a set of texts.
     *
     * @param bitsPerByte {@code bits / bytes}
     * @param bits        the negative log-likelihood of every token, in bits
     * @param bytes       the texts' UTF-8 bytes
     * @param tokens      the texts' tokens (document start tokens not counted)
     * @param documents   the texts read
     */
    public record Result(double bitsPerByte, double bits, long bytes, long tokens, int documents) {

        /** As a result record of task {@code task}; {@code n} counts bytes, and there is no per-item spread. */
        public MetricResult asMetric(String task) {
            return new MetricResult(task, METRIC, bitsPerByte, bytes, null);
        }
    }
}
