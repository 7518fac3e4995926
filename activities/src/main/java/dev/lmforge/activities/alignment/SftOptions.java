package dev.lmforge.activities.alignment;

import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.model.PaperLaws;



/**
 * How supervised fine-tuning runs.
 *
 * @param epochs       passes over the data (per stage when two-stage)
 * @param learningRate the peak learning rate
 * @param shape        warm-up and cosine, or constant
 * @param twoStage     the paper's two-stage SFT: every example, then the conversational ones only
 * @param seed         the data order's seed
 */
public record SftOptions(int epochs, double learningRate, LearningRateShape shape, boolean twoStage, long seed) {

    /** @throws InvalidInputException naming the field that is out of range */
    public SftOptions {
        if (epochs < 1) {
            throw new InvalidInputException("sft.epochs must be at least 1, not " + epochs);
        }
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new InvalidInputException("sft.learningRate must be positive and finite, not " + learningRate);
        }
        if (shape == null) {
            throw new InvalidInputException("sft.schedule is required");
        }
    }

    /** The paper's 7B settings, warm-up and cosine, one stage. */
    public static SftOptions paper() {
        return new SftOptions(PaperLaws.SFT_EPOCHS, PaperLaws.SFT_LEARNING_RATE, LearningRateShape.COSINE,
                false, 0);
    }
}
