package dev.lmforge.activities.alignment;

import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.model.DecoderTrainer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DPO on a tiny SFT model: the held-out reward margin and preference accuracy rise from the reference's zero. */
class DirectPreferenceOptimizerTest {

    @TempDir
    Path dir;

    private final ChatTemplate template = new ChatTemplate(TinyChatModels.tokenizer());

    @Test
    void raisesTheHeldOutMarginAndPreferenceAccuracy() {
        List<PreferencePair> pairs = AlignmentData.bundledPreferences();
        List<PreferencePair> train = pairs.subList(0, 48);
        List<PreferencePair> heldOut = pairs.subList(48, pairs.size());
        try (DecoderTrainer trainer = new DecoderTrainer(TinyChatModels.setup(8))) {
            new SupervisedFineTuner(trainer, template, new SftOptions(2, 1e-2, LearningRateShape.COSINE, false, 1),
                    new RepetitionProbe(template, 4)).train(AlignmentData.bundledSft(), dir, AlignmentProgress.NONE);
            DpoOptions options = new DpoOptions(0.1, 3, 3e-3, LearningRateShape.COSINE, 1);
            DirectPreferenceOptimizer.Result result = new DirectPreferenceOptimizer(trainer, template, options)
                    .train(train, heldOut, AlignmentProgress.NONE);

            assertEquals(3 * 12, result.steps());
            DirectPreferenceOptimizer.Evaluation before = result.heldOutBefore();
            assertEquals(0, before.rewardMargin(), 1e-9, "the policy starts as the reference");
            assertEquals(Math.log(2), before.loss(), 1e-9);
            assertEquals(0, before.preferenceAccuracy());
            DirectPreferenceOptimizer.Evaluation after = result.heldOutAfter();
            assertTrue(after.rewardMargin() > 0.2, "margin " + after.rewardMargin());
            assertTrue(after.preferenceAccuracy() >= 0.8, "accuracy " + after.preferenceAccuracy());
            assertTrue(after.loss() < before.loss());
        }
    }

    @Test
    void refusesAnOddBatch() {
        try (DecoderTrainer trainer = new DecoderTrainer(TinyChatModels.setup(3))) {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> new DirectPreferenceOptimizer(trainer, template, DpoOptions.paper()));
            assertTrue(e.getMessage().contains("even number of sequences per step"), e.getMessage());
        }
    }
}
