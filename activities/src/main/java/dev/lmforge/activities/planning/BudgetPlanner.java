package dev.lmforge.activities.planning;

import dev.lmforge.activities.model.BudgetPlan;
import dev.lmforge.activities.model.LearningRateSchedule;
import dev.lmforge.activities.model.MemoryEstimate;
import dev.lmforge.activities.model.ModelScale;
import dev.lmforge.activities.model.ModelShape;
import dev.lmforge.activities.model.OptimizerSettings;
import dev.lmforge.activities.model.PaperLaws;
import dev.lmforge.activities.model.ScalingLaws;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Turns a compute budget into a training plan, following the paper's Section 3: {@code M_opt}, {@code D_opt}
 * (Eq. 4 or fitted), {@code η_opt}, {@code B_opt} (Eq. 1 or fitted), then the {@link ShapeLadder} shape nearest
 * {@code M_opt}, a batch of whole sequences nearest {@code B_opt}, the steps that spend the budget on that
 * shape, the multi-step schedule, and the memory and wall time it needs.
 *
 * <p>With a token limit below {@code D_opt} the plan trains on the limit and spends the rest of the budget on a
 * larger model ({@code M = C / limit}): on an IsoFLOP curve every point with fewer tokens has a larger model, and
 * the nearest one to the optimum is best. The model grows to at most {@value #MAX_MODEL_GROWTH}× {@code M_opt}
 * (the edge of {@link SweepDesign}'s default IsoFLOP span, beyond which the curves climb steeply); past that the
 * rest of the budget is left unspent and a note says so, rather than planning a model far too large for its data.
 */
public final class BudgetPlanner {

    /** The default sequence length leaves a batch at least this many sequences to average over. */
    public static final int MIN_BATCH_SEQUENCES = 32;

    /** The shortest default sequence length. */
    public static final int MIN_SEQ_LEN = 64;

    /** A token limit makes the model grow to at most this multiple of {@code M_opt}. */
    public static final double MAX_MODEL_GROWTH = 4;

    /** Notes flag a chosen shape whose {@code M} is further than this (relative) from the target. */
    private static final double SHAPE_TOLERANCE = 0.10;

    private BudgetPlanner() {
    }

    /** The plan for {@code request}; an {@link IllegalArgumentException} names what cannot be planned. */
    public static BudgetPlan plan(BudgetRequest request) {
        ScalingLaws laws = request.lawsOrPaper();
        double c = request.compute();
        double optimalModelScale = laws.modelScale().at(c);
        double optimalTokens = laws.dataTokens().at(c);
        List<String> notes = new ArrayList<>();

        Long limit = request.tokenLimit();
        double targetModelScale = optimalModelScale;
        if (limit != null && limit < optimalTokens) {
            targetModelScale = Math.min(c / limit, MAX_MODEL_GROWTH * optimalModelScale);
            notes.add(String.format(Locale.ROOT, "token-limited: %s tokens available, D_opt is %s; the model grows "
                    + "from M_opt = %s to %s (C / limit = %s, at most %.0f× M_opt)", Figures.count(limit),
                    Figures.count(optimalTokens), Figures.count(optimalModelScale), Figures.count(targetModelScale),
                    Figures.count(c / limit), MAX_MODEL_GROWTH));
        }
        ModelShape shape = shapeFor(request, targetModelScale);
        double m = ModelScale.of(shape).modelScale();
        if (Math.abs(m / targetModelScale - 1) > SHAPE_TOLERANCE) {
            notes.add(String.format(Locale.ROOT, "the nearest shape's M = %s is %+.0f %% from the target %s",
                    Figures.count(m), 100 * (m / targetModelScale - 1), Figures.count(targetModelScale)));
        }
        return planFor(request, shape, laws.batchTokens().at(c), laws.learningRate().at(c), notes);
    }

    /** The ladder shape nearest {@code targetModelScale} at the request's sequence length and vocabulary. */
    static ModelShape shapeFor(BudgetRequest request, double targetModelScale) {
        return ShapeLadder.closest(targetModelScale, seqLenOf(request), vocabOf(request));
    }

    /** As {@link #shapeFor}, for a sweep's probe, which may be a toy shape no plan would train. */
    static ModelShape probeShapeFor(BudgetRequest request, double targetModelScale) {
        return ShapeLadder.closestProbe(targetModelScale, seqLenOf(request), vocabOf(request));
    }

    private static int seqLenOf(BudgetRequest request) {
        return request.seqLen() != null ? request.seqLen()
                : defaultSeqLen(request.lawsOrPaper().batchTokens().at(request.compute()));
    }

    private static int vocabOf(BudgetRequest request) {
        return request.vocab() != null ? request.vocab() : PaperLaws.PADDED_VOCAB;
    }

    /**
     * The plan that spends the request's budget on {@code shape} with batches of about {@code batchTokens} and
     * peak learning rate {@code learningRate}: the optimum's plan, or one probe run of a sweep.
     */
    static BudgetPlan planFor(BudgetRequest request, ModelShape shape, double batchTokensWanted,
                              double learningRate, List<String> notes) {
        ScalingLaws laws = request.lawsOrPaper();
        double c = request.compute();
        ModelScale model = ModelScale.of(shape);
        double m = model.modelScale();
        int seqLen = shape.seqLen();
        int batchSequences = (int) Math.max(1, Math.round(batchTokensWanted / seqLen));
        long batchTokens = (long) batchSequences * seqLen;
        long steps = Math.max(1, Math.round(c / m / batchTokens));
        Long limit = request.tokenLimit();
        if (limit != null && steps * batchTokens > limit) {
            steps = limit / batchTokens;
            if (steps == 0) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "token limit %d is smaller than one "
                        + "batch of %d tokens (%d sequences of %d)", limit, batchTokens, batchSequences, seqLen));
            }
            notes.add(String.format(Locale.ROOT, "the token limit stops this model at %s tokens, spending %.0f %% "
                    + "of the budget", Figures.count(steps * batchTokens), 100 * m * steps * batchTokens / c));
        }
        long tokens = steps * batchTokens;

        double outputLayerFlops = PaperLaws.FLOPS_PER_PARAMETER_PER_TOKEN * (double) shape.vocab() * shape.dModel();
        if (outputLayerFlops > m) {
            notes.add(String.format(Locale.ROOT, "the output layer (6·vocab·d_model = %s FLOPs per token) costs "
                    + "%.1f× the model scale M; wall time counts it, C = M·D does not; a smaller vocabulary cuts it",
                    Figures.count(outputLayerFlops), outputLayerFlops / m));
        }
        MemoryEstimate memory = MemoryEstimate.of(model, batchSequences, request.hardware());
        if (Boolean.FALSE.equals(memory.fitsInMemory())) {
            notes.add(String.format(Locale.ROOT, "does not fit: %s of weights, gradients and AdamW state plus %s "
                    + "per sequence exceed the worker's %s", Figures.bytes(memory.stateBytes()),
                    Figures.bytes(memory.activationBytesPerSequence()),
                    Figures.bytes(request.hardware().memoryBytes())));
        }
        double trainingFlops = model.trainingFlopsPerToken() * tokens;
        Double wallSeconds = request.hardware() == null ? null
                : trainingFlops / request.hardware().sustainedFlopsPerSecond();

        return new BudgetPlan(c, limit, laws, laws.modelScale().at(c), laws.dataTokens().at(c),
                laws.batchTokens().at(c), laws.learningRate().at(c), model, batchSequences, batchTokens,
                learningRate, steps, tokens, m * tokens, LearningRateSchedule.multiStep(learningRate, steps),
                OptimizerSettings.paper(), memory, trainingFlops, wallSeconds, notes);
    }

    /**
     * The paper's 4096-token context, halved while a batch of {@code B_opt} tokens would hold fewer than
     * {@value #MIN_BATCH_SEQUENCES} sequences, down to {@value #MIN_SEQ_LEN}: tiny budgets get short sequences
     * (C = 1e13 gives 128, C = 1e15 gives 512) instead of batches of one or two.
     */
    public static int defaultSeqLen(double batchTokens) {
        int seqLen = PaperLaws.CONTEXT_LENGTH;
        while (seqLen > MIN_SEQ_LEN && batchTokens / seqLen < MIN_BATCH_SEQUENCES) {
            seqLen /= 2;
        }
        return seqLen;
    }
}
