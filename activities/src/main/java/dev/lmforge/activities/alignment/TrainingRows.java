package dev.lmforge.activities.alignment;

import dev.lmforge.activities.InvalidInputException;
import java.util.Arrays;
import java.util.List;

/**
 * Encoded conversations laid out as a trainer's rows: one conversation per row of {@code seqLen + 1} ids,
 * padded, with weight 1 on each target position whose id is trained and 0 elsewhere (prompts, padding). A
 * conversation longer than a row is cut at its end.
 *
 * @param width   ids per row, {@code seqLen + 1}
 * @param tokens  {@code count · width} ids, row-major
 * @param weights {@code count · (width - 1)} target weights, row-major
 * @param count   rows
 */
public record TrainingRows(int width, int[] tokens, float[] weights, int count) {

    /** @throws InvalidInputException naming the conversation if one keeps no trained id within a row */
    public static TrainingRows of(List<ChatTemplate.Encoded> conversations, int seqLen, int padding) {
        int width = seqLen + 1;
        int[] tokens = new int[conversations.size() * width];
        float[] weights = new float[conversations.size() * seqLen];
        Arrays.fill(tokens, padding);
        for (int row = 0; row < conversations.size(); row++) {
            ChatTemplate.Encoded conversation = conversations.get(row);
            int length = Math.min(width, conversation.tokens().length);
            System.arraycopy(conversation.tokens(), 0, tokens, row * width, length);
            boolean any = false;
            for (int i = 1; i < length; i++) {
                if (conversation.trained()[i]) {
                    weights[row * seqLen + i - 1] = 1;
                    any = true;
                }
            }
            if (!any) {
                throw new InvalidInputException(conversation.source() + ": the prompt fills the model's context of "
                        + seqLen + " tokens; no response token is left to train on");
            }
        }
        return new TrainingRows(width, tokens, weights, conversations.size());
    }

    /** The rows at {@code indices}, in that order. */
    public TrainingRows select(int[] indices) {
        int seqLen = width - 1;
        int[] pickedTokens = new int[indices.length * width];
        float[] pickedWeights = new float[indices.length * seqLen];
        for (int i = 0; i < indices.length; i++) {
            System.arraycopy(tokens, indices[i] * width, pickedTokens, i * width, width);
            System.arraycopy(weights, indices[i] * seqLen, pickedWeights, i * seqLen, seqLen);
        }
        return new TrainingRows(width, pickedTokens, pickedWeights, indices.length);
    }

    /** Total weight: the number of trained target positions. */
    public double weightTotal() {
        double total = 0;
        for (float w : weights) {
            total += w;
        }
        return total;
    }

    /** Per row, {@code Σ weight · logProbabilities} over its target positions: the response's log-probability. */
    public double[] rowSums(float[] logProbabilities) {
        int seqLen = width - 1;
        double[] sums = new double[count];
        for (int i = 0; i < weights.length; i++) {
            sums[i / seqLen] += weights[i] * logProbabilities[i];
        }
        return sums;
    }

    /** The indices {@code from .. to - 1}. */
    static int[] range(int from, int to) {
        int[] indices = new int[to - from];
        for (int i = 0; i < indices.length; i++) {
            indices[i] = from + i;
        }
        return indices;
    }
}
