package dev.lmforge.activities.evaluation;

import dev.lmforge.activities.model.GreedyDecoder;
import dev.lmforge.activities.model.ModelWithTokenizer;
import dev.lmforge.activities.text.RepetitionRatio;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs one task on one model and reports the metrics its file asks for.
 *
 * <p>Multiple choice: each choice, after the task's delimiter, is a continuation scored by its log-likelihood
 * given the context (few-shot examples and the prompt, after the document start token), all of a task's
 * continuations batched through {@link LogLikelihoodScorer}. Context and continuation are encoded separately, so
 * the scored tokens are exactly the continuation's; a context too long for the model loses its oldest tokens.
 * Generate: {@link GreedyDecoder} after the context, the task's parser against the target.
 */
public final class TaskEvaluator {

    /** Multiple-choice rows are built and scored this many batches at a time. */
    private static final int ROW_BATCHES_PER_CHUNK = 8;

    private final ModelWithTokenizer model;
    private final LogLikelihoodScorer scorer;
    private final GreedyDecoder decoder;
    private final Runnable progress;

    /** @param batchSize rows per call of the model when scoring choices */
    public TaskEvaluator(ModelWithTokenizer model, int batchSize) {
        this(model, batchSize, () -> { });
    }

    /**
     * @param batchSize rows per call of the model when scoring choices
     * @param progress  run after each chunk of scored rows and each generation, e.g. a heartbeat, so that a long
     *                  task still shows it is alive and can be cancelled mid-task
     */
    public TaskEvaluator(ModelWithTokenizer model, int batchSize, Runnable progress) {
        this.model = model;
        this.scorer = new LogLikelihoodScorer(model.model(), batchSize);
        this.decoder = new GreedyDecoder(model);
        this.progress = progress;
    }

    /**
     * The task's metrics, in the order its file lists them.
     *
     * @throws dev.lmforge.activities.InvalidInputException if the model's tokenizer lacks the task's special
     *                                                      tokens, or an item does not fit the model's context
     */
    public List<MetricResult> evaluate(Task task) {
        TaskSpec spec = task.spec();
        model.requireSpecialTokens(spec.specialTokens(), spec.name());
        return spec.type() == TaskType.MULTIPLE_CHOICE ? multipleChoice(task) : generate(task);
    }

    private List<MetricResult> multipleChoice(Task task) {
        TaskSpec spec = task.spec();
        boolean specials = !spec.specialTokens().isEmpty();
        boolean unconditional = spec.metrics().contains(Metric.ACC_UNCOND);
        int[] unconditionalContext = unconditional ? model.encodeDocument(spec.unconditionalPrompt(), specials) : null;
        int perChoice = unconditional ? 2 : 1;
        List<Double> acc = new ArrayList<>();
        List<Double> accNorm = new ArrayList<>();
        List<Double> accUncond = new ArrayList<>();
        // Items go to the scorer a few batches at a time: enough to sort rows by length, few enough to bound memory.
        int chunkRows = scorer.batchSize() * ROW_BATCHES_PER_CHUNK;
        for (int first = 0; first < task.items().size(); ) {
            List<ScoredRow> rows = new ArrayList<>();
            int end = first;
            for (; end < task.items().size() && rows.size() < chunkRows; end++) {
                TaskItem item = task.items().get(end);
                int[] context = model.encodeDocument(task.context(end), specials);
                for (String choice : item.choices()) {
                    int[] continuation = model.encode(spec.delimiter() + choice, specials);
                    rows.add(row(context, continuation, spec, item));
                    if (unconditional) {
                        rows.add(row(unconditionalContext, continuation, spec, item));
                    }
                }
            }
            double[] scores = scorer.sumLogProbabilities(rows);
            progress.run();
            int at = 0;
            for (TaskItem item : task.items().subList(first, end)) {
                int n = item.choices().size();
                double[] plain = new double[n];
                double[] perByte = new double[n];
                double[] conditionalGain = new double[n];
                for (int c = 0; c < n; c++, at += perChoice) {
                    plain[c] = scores[at];
                    perByte[c] = scores[at]
                            / (spec.delimiter() + item.choices().get(c)).getBytes(StandardCharsets.UTF_8).length;
                    conditionalGain[c] = unconditional ? scores[at] - scores[at + 1] : 0;
                }
                acc.add(hit(plain, item));
                accNorm.add(hit(perByte, item));
                accUncond.add(hit(conditionalGain, item));
            }
            first = end;
        }
        List<MetricResult> results = new ArrayList<>();
        for (Metric metric : spec.metrics()) {
            List<Double> scoresOfMetric = switch (metric) {
                case ACC -> acc;
                case ACC_NORM -> accNorm;
                case ACC_UNCOND -> accUncond;
                default -> throw new IllegalStateException(metric + " is not a multiple-choice metric");
            };
            results.add(MetricResult.mean(spec.name(), metric.key(), scoresOfMetric));
        }
        return results;
    }

    /** 1 if the highest score (the first, among equals) is the answer's, else 0. */
    private static double hit(double[] scores, TaskItem item) {
        int best = 0;
        for (int c = 1; c < scores.length; c++) {
            if (scores[c] > scores[best]) {
                best = c;
            }
        }
        return best == item.answer() ? 1 : 0;
    }

    /** Context then continuation, the context's oldest tokens dropped to fit the model. */
    private ScoredRow row(int[] context, int[] continuation, TaskSpec spec, TaskItem item) {
        int limit = model.model().contextLength() + 1;
        if (continuation.length == 0 || continuation.length >= limit) {
            throw new TaskFileException(spec.data(), item.line(), "a choice encodes to "
                    + continuation.length + " tokens; it must have 1 to " + (limit - 2) + " to be scored");
        }
        int keep = Math.min(context.length, limit - continuation.length);
        int[] ids = Arrays.copyOfRange(context, context.length - keep, context.length + continuation.length);
        System.arraycopy(continuation, 0, ids, keep, continuation.length);
        return new ScoredRow(ids, keep);
    }

    private List<MetricResult> generate(Task task) {
        TaskSpec spec = task.spec();
        boolean specials = !spec.specialTokens().isEmpty();
        List<Double> exact = new ArrayList<>();
        List<int[]> generations = new ArrayList<>();
        for (int i = 0; i < task.items().size(); i++) {
            int[] prompt = model.encodeDocument(task.context(i), specials);
            GreedyDecoder.Generation generation = decoder.generate(prompt, spec.stop(), spec.maxNewTokens());
            exact.add(spec.answerParser().matches(generation.text(), task.items().get(i).target()) ? 1.0 : 0.0);
            generations.add(generation.tokens());
            progress.run();
        }
        List<MetricResult> results = new ArrayList<>();
        for (Metric metric : spec.metrics()) {
            results.add(switch (metric) {
                case EXACT_MATCH -> MetricResult.mean(spec.name(), metric.key(), exact);
                // A pooled share, not a mean of per-item scores: no standard error.
                case REPETITION_RATIO -> new MetricResult(spec.name(), metric.key(),
                        RepetitionRatio.of(generations).ratio(), generations.size(), null);
                default -> throw new IllegalStateException(metric + " is not a generation metric");
            });
        }
        return results;
    }
}
