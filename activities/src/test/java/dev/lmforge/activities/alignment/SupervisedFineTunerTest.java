package dev.lmforge.activities.alignment;

import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.model.DecoderTrainer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SFT on a tiny decoder: it lowers the response loss, and prompt tokens stay out of the loss and the gradient. */
class SupervisedFineTunerTest {

    private static final int BATCH = 8;

    @TempDir
    Path dir;

    private final ChatTemplate template = new ChatTemplate(TinyChatModels.tokenizer());

    @Test
    void lowersTheResponseLossInBothStages() {
        List<SftExample> examples = AlignmentData.bundledSft();
        List<String> phases = new ArrayList<>();
        try (DecoderTrainer trainer = new DecoderTrainer(TinyChatModels.setup(BATCH))) {
            SftOptions options = new SftOptions(4, 1e-2, LearningRateShape.COSINE, true, 1);
            List<SupervisedFineTuner.StageResult> stages = new SupervisedFineTuner(trainer, template, options,
                    new RepetitionProbe(template, 16)).train(examples, dir, (position, total, loss) -> {
                        if (position.step() == total) {
                            phases.add(position.phase() + " " + position.step());
                        }
                    });
            assertEquals(List.of("sft 48", "sft-conversational 32"), phases);
            SupervisedFineTuner.StageResult all = stages.get(0);
            assertEquals(96, all.examples());
            assertTrue(all.responseLossAfter() < 0.6 * all.responseLossBefore(),
                    all.responseLossBefore() + " -> " + all.responseLossAfter());
            SupervisedFineTuner.StageResult conversational = stages.get(1);
            assertEquals(64, conversational.examples());
            assertTrue(conversational.responseLossAfter() < conversational.responseLossBefore());
            assertTrue(all.repetition().ngrams() > 0, "the probe's answers were measured");
        }
    }

    @Test
    void stepLossIsTheMeanOverResponseTokensOnly() {
        try (DecoderTrainer trainer = new DecoderTrainer(TinyChatModels.setup(BATCH))) {
            SupervisedFineTuner tuner = new SupervisedFineTuner(trainer, template, SftOptions.paper(),
                    new RepetitionProbe(template, 8));
            TrainingRows rows = tuner.rows(AlignmentData.bundledSft().subList(0, BATCH));
            float[] logProbabilities = trainer.targetLogProbabilities(rows.tokens(), rows.count());
            double all = 0;
            for (float logProbability : logProbabilities) {
                all -= logProbability;
            }
            double responseOnly = tuner.responseLoss(rows);
            assertNotEquals(all / logProbabilities.length, responseOnly, 1e-3);
            assertEquals(responseOnly, trainer.step(rows.tokens(), rows.weights(), 0).loss(), 1e-5);
        }
    }

    @Test
    void aPromptTokenDoesNotReachTheGradient() {
        // A second user turn cut at the row's end: the row's last id is a prompt token, and as the last id it is
        // only ever a target, never an input, so changing it changes nothing but that target.
        SftExample example = new SftExample("t:1", List.of(new ChatMessage(ChatRole.USER, "Hello!"),
                new ChatMessage(ChatRole.ASSISTANT, "Hi."),
                new ChatMessage(ChatRole.USER, "Tell me a long story about the sun and the rain, please.")), true);
        ChatTemplate.Encoded encoded = template.encode(example);
        int width = TinyChatModels.SEQ_LEN + 1;
        assertTrue(encoded.tokens().length > width && !encoded.trained()[width - 1], "cut inside the prompt");
        TrainingRows original = rowsOf(example);
        int[] changed = original.tokens().clone();
        int last = changed.length - 1;
        changed[last] = (changed[last] + 1) % TinyChatModels.tokenizer().vocabularySize();
        TrainingRows probe = rowsOf(AlignmentData.bundledSft().get(0));

        assertEquals(afterOneStep(original.tokens(), original.weights(), probe),
                afterOneStep(changed, original.weights(), probe), "SFT weights: the prompt target is out");
        float[] everyTarget = new float[original.weights().length];
        Arrays.fill(everyTarget, 1f);
        assertNotEquals(afterOneStep(original.tokens(), everyTarget, probe),
                afterOneStep(changed, everyTarget, probe), "with every target weighted the same change shows");
    }

    @Test
    void twoStageWithoutConversationalDataIsRefused() {
        List<SftExample> math = AlignmentData.bundledSft().stream().filter(e -> !e.conversational()).toList();
        try (DecoderTrainer trainer = new DecoderTrainer(TinyChatModels.setup(BATCH))) {
            SftOptions options = new SftOptions(1, 1e-3, LearningRateShape.CONSTANT, true, 1);
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> new SupervisedFineTuner(
                    trainer, template, options, new RepetitionProbe(template, 4)).train(math, dir, AlignmentProgress.NONE));
            assertTrue(e.getMessage().startsWith("sft.twoStage needs conversational examples"), e.getMessage());
        }
    }

    private TrainingRows rowsOf(SftExample example) {
        return TrainingRows.of(List.of(template.encode(example)), TinyChatModels.SEQ_LEN, template.padding());
    }

    /** The loss on {@code probe} after one step from the seeded weights on the single row {@code tokens}. */
    private static double afterOneStep(int[] tokens, float[] weights, TrainingRows probe) {
        try (DecoderTrainer trainer = new DecoderTrainer(TinyChatModels.setup(1))) {
            trainer.step(tokens, weights, 1e-2);
            return trainer.loss(probe.tokens(), 1);
        }
    }
}
