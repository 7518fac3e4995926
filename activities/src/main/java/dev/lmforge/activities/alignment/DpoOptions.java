package dev.lmforge.activities.alignment;

import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.model.PaperLaws;



/**
 * How DPO runs.
 *
 * @param beta         β of the sigmoid loss: how far the policy may move from the reference
 * @param epochs       passes over the training pairs
 * @param learningRate the peak learning rate
 * @param shape        warm-up and cosine, or constant
 * @param seed         the data order's seed
 */
public record DpoOptions(double beta, int epochs, double learningRate, LearningRateShape shape, long seed) {

    /** @throws InvalidInputException naming the field that is out of range */
    public DpoOptions {
        if (!(beta > 0) || Double.isInfinite(beta)) {
            throw new InvalidInputException("dpo.beta must be positive and finite, not " + beta);
        }
        if (epochs < 1) {
            throw new InvalidInputException("dpo.epochs must be at least 1, not " + epochs);
        }
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new InvalidInputException("dpo.learningRate must be positive and finite, not " + learningRate);
        }
        if (shape == null) {
            throw new InvalidInputException("dpo.schedule is required");
        }
    }

    /** The paper's settings: one epoch, 5e-6 with warm-up and cosine decay, β 0.1. */
    public static DpoOptions paper() {
        return new DpoOptions(PaperLaws.DPO_BETA, PaperLaws.DPO_EPOCHS, PaperLaws.DPO_LEARNING_RATE,
                LearningRateShape.COSINE, 0);
    }
}
