package dev.lmforge.activities.alignment;

import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.model.DecoderTrainer;
import java.util.ArrayList;
import java.util.List;

/**
 * Direct Preference Optimization (Rafailov et al., 2023; the paper's Section 4) with the sigmoid loss
 * {@code -log σ(β·((π_c - π_r) - (ref_c - ref_r)))}, where {@code π} and {@code ref} are the summed log-probabilities
 * of a response's tokens under the policy and under the frozen reference, the model the policy starts from. The
 * reference is scored once, up front, and kept in the {@link PhasePosition} a checkpoint stores.
 *
 * <p>The loss's gradient is {@code -β·σ(-z)·(∇π_c - ∇π_r)} per pair, {@code z} the bracket above: a weighted sum of
 * token log-probability gradients. So each step scores the batch under the current policy, turns each pair's
 * {@code β·σ(-z)} into token weights (positive on the chosen response, negative on the rejected one), and takes
 * one {@link DecoderTrainer#step(int[], float[], double, double)} on them: the exact DPO gradient through the
 * trainer's own graph.
 */
public final class DirectPreferenceOptimizer {

    /**
     * DPO's figures over a set of pairs.
     *
     * @param loss               the mean sigmoid loss
     * @param rewardMargin       the mean implicit reward margin {@code β·((π_c - π_r) - (ref_c - ref_r))}
     * @param preferenceAccuracy the share of pairs whose margin is positive
     */
    public record Evaluation(double loss, double rewardMargin, double preferenceAccuracy) {
    }

    /**
     * A DPO run's figures.
     *
     * @param steps         optimizer steps
     * @param lastTrainLoss the last step's mean loss on its batch
     * @param heldOutBefore held-out pairs before training (margin 0: the policy is the reference)
     * @param heldOutAfter  held-out pairs after training
     */
    public record Result(long steps, double lastTrainLoss, Evaluation heldOutBefore, Evaluation heldOutAfter) {
    }

    /**
     * The frozen reference's view of the pairs, scored once before training: each row's response log-probability
     * (pair {@code i}'s chosen row {@code 2i}, its rejected row {@code 2i + 1}) among the training and the held-out
     * pairs, and the held-out figures before training. A checkpoint stores it, as the policy no longer holds the
     * reference's weights once DPO has stepped.
     */
    public record Reference(double[] training, double[] heldOut, Evaluation heldOutBefore) {
    }

    /** Pairs as rows, {@code 2i} chosen and {@code 2i + 1} rejected, with the reference's response log-probs. */
    private record ScoredPairs(TrainingRows rows, double[] reference) {
        ScoredPairs {
            if (reference.length != rows.count()) {
                throw new IllegalStateException("the DPO reference has " + reference.length + " scores for "
                        + rows.count() + " rows: it was scored on other preference data");
            }
        }

        int pairs() {
            return rows.count() / 2;
        }
    }

    private final DecoderTrainer policy;
    private final ChatTemplate template;
    private final DpoOptions options;

    /** @param policy the model to align, holding the reference's weights now (or a checkpoint's, to continue) */
    public DirectPreferenceOptimizer(DecoderTrainer policy, ChatTemplate template, DpoOptions options) {
        if (policy.setup().sequencesPerStep() % 2 != 0) {
            throw new InvalidInputException("DPO needs an even number of sequences per step (a chosen and a "
                    + "rejected row per pair), not " + policy.setup().sequencesPerStep());
        }
        this.policy = policy;
        this.template = template;
        this.options = options;
    }

    /** Trains on {@code train} for the configured epochs from the start and reports on {@code heldOut}. */
    public Result train(List<PreferencePair> train, List<PreferencePair> heldOut, AlignmentProgress progress) {
        return train(train, heldOut, PhasePosition.start(PhasePosition.DPO), progress);
    }

    /**
     * Trains on {@code train} from {@code from}: the start (the reference is scored first, from the policy's
     * weights), or where a checkpoint left DPO (its reference and the policy's variables restored).
     */
    public Result train(List<PreferencePair> train, List<PreferencePair> heldOut, PhasePosition from,
                        AlignmentProgress progress) {
        TrainingRows trainRows = rows(train);
        TrainingRows heldOutRows = rows(heldOut);
        Reference reference = from.reference() != null ? from.reference() : reference(trainRows, heldOutRows);
        ScoredPairs training = new ScoredPairs(trainRows, reference.training());
        ScoredPairs evaluation = new ScoredPairs(heldOutRows, reference.heldOut());
        int pairsPerStep = policy.setup().sequencesPerStep() / 2;
        long total = (long) options.epochs() * EpochBatches.perEpoch(training.pairs(), pairsPerStep);
        long step = from.step();
        double lastLoss = Double.NaN;
        for (int[] pairs : EpochBatches.from(training.pairs(), pairsPerStep, options.seed(), options.epochs(), step)) {
            lastLoss = step(training, pairs, options.shape().at(options.learningRate(), step, total));
            step++;
            progress.stepped(new PhasePosition(PhasePosition.DPO, step, null, reference), total, lastLoss);
        }
        return new Result(step, lastLoss, reference.heldOutBefore(), evaluate(evaluation));
    }

    /** The reference's scores of both sets under the policy's weights now, and the held-out figures they give. */
    private Reference reference(TrainingRows train, TrainingRows heldOut) {
        double[] training = responseLogProbabilities(train);
        double[] evaluation = responseLogProbabilities(heldOut);
        return new Reference(training, evaluation, evaluate(new ScoredPairs(heldOut, evaluation)));
    }

    /** One update on {@code pairs}; returns their mean loss before it. */
    private double step(ScoredPairs scored, int[] pairs, double learningRate) {
        TrainingRows batch = scored.rows().select(rowsOf(pairs));
        double[] margins = margins(batch, pairs, scored.reference());
        int seqLen = batch.width() - 1;
        float[] weights = batch.weights().clone();
        double loss = 0;
        for (int p = 0; p < pairs.length; p++) {
            loss += softplus(-margins[p]);
            double coefficient = options.beta() * sigmoid(-margins[p]);
            for (int i = 0; i < seqLen; i++) {
                weights[(2 * p) * seqLen + i] *= (float) coefficient;
                weights[(2 * p + 1) * seqLen + i] *= (float) -coefficient;
            }
        }
        policy.step(batch.tokens(), weights, pairs.length, learningRate);
        return loss / pairs.length;
    }

    /** The implicit reward margin of each pair in {@code batch} (rows of {@code pairs}) under the current policy. */
    private double[] margins(TrainingRows batch, int[] pairs, double[] reference) {
        double[] sums = batch.rowSums(policy.targetLogProbabilities(batch.tokens(), batch.count()));
        double[] margins = new double[pairs.length];
        for (int p = 0; p < pairs.length; p++) {
            double referenceMargin = reference[2 * pairs[p]] - reference[2 * pairs[p] + 1];
            margins[p] = options.beta() * ((sums[2 * p] - sums[2 * p + 1]) - referenceMargin);
        }
        return margins;
    }

    private Evaluation evaluate(ScoredPairs scored) {
        int chunk = policy.setup().sequencesPerStep() / 2;
        double loss = 0;
        double margin = 0;
        int preferred = 0;
        for (int first = 0; first < scored.pairs(); first += chunk) {
            int[] pairs = TrainingRows.range(first, Math.min(scored.pairs(), first + chunk));
            for (double m : margins(scored.rows().select(rowsOf(pairs)), pairs, scored.reference())) {
                loss += softplus(-m);
                margin += m;
                preferred += m > 0 ? 1 : 0;
            }
        }
        int n = scored.pairs();
        return new Evaluation(loss / n, margin / n, (double) preferred / n);
    }

    /** The pairs as rows: pair {@code i}'s chosen exchange is row {@code 2i}, its rejected one row {@code 2i + 1}. */
    private TrainingRows rows(List<PreferencePair> pairs) {
        if (pairs.isEmpty()) {
            throw new InvalidInputException("DPO needs at least one preference pair in each of its sets");
        }
        List<ChatTemplate.Encoded> encoded = new ArrayList<>();
        for (PreferencePair pair : pairs) {
            encoded.add(template.exchange(pair.source(), pair.prompt(), pair.chosen()));
            encoded.add(template.exchange(pair.source(), pair.prompt(), pair.rejected()));
        }
        return TrainingRows.of(encoded, policy.setup().shape().seqLen(), template.padding());
    }

    /** Each row's response log-probability under the policy's weights now. */
    private double[] responseLogProbabilities(TrainingRows rows) {
        double[] sums = new double[rows.count()];
        int chunk = policy.setup().sequencesPerStep();
        for (int first = 0; first < rows.count(); first += chunk) {
            TrainingRows part = rows.select(TrainingRows.range(first, Math.min(rows.count(), first + chunk)));
            double[] partSums = part.rowSums(policy.targetLogProbabilities(part.tokens(), part.count()));
            System.arraycopy(partSums, 0, sums, first, partSums.length);
        }
        return sums;
    }

    private static int[] rowsOf(int[] pairs) {
        int[] rows = new int[2 * pairs.length];
        for (int p = 0; p < pairs.length; p++) {
            rows[2 * p] = 2 * pairs[p];
            rows[2 * p + 1] = 2 * pairs[p] + 1;
        }
        return rows;
    }

    /** {@code log(1 + e^x)} without overflow: {@code -log σ(z) = softplus(-z)}. */
    private static double softplus(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }
}
