package dev.lmforge.activities.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecoderLanguageModelTest {

    private static final TrainingSetup SETUP = TinyDecoders.setup(4, 1, ComputePrecision.FLOAT32);
    private static final int[] HELD_OUT = TinyDecoders.repetitiveRows(4, 5, 99);

    @TempDir
    static Path checkpoint;
    private static double trainerLoss;

    /** A few steps on a repetitive stream, so greedy choices are clear-cut rather than near ties. */
    @BeforeAll
    static void train() {
        try (DecoderTrainer trainer = new DecoderTrainer(SETUP)) {
            for (int step = 0; step < 15; step++) {
                trainer.step(TinyDecoders.repetitiveRows(4, 5, step), null, 1e-2);
            }
            trainer.save(checkpoint);
            trainerLoss = trainer.loss(HELD_OUT, 4);
        }
    }

    @Test
    void tokenLogProbabilitiesAgreeWithTheTrainersLoss() {
        int width = TinyDecoders.SHAPE.seqLen() + 1;
        int[][] rows = new int[4][];
        for (int r = 0; r < 4; r++) {
            rows[r] = Arrays.copyOfRange(HELD_OUT, r * width, (r + 1) * width);
        }
        try (DecoderLanguageModel model = new DecoderLanguageModel(SETUP, checkpoint)) {
            float[][] scores = model.tokenLogProbabilities(rows);
            double sum = 0;
            for (float[] row : scores) {
                assertEquals(width - 1, row.length);
                for (float logP : row) {
                    sum -= logP;
                }
            }
            assertEquals(trainerLoss, sum / (4 * (width - 1)), 1e-5);

            // A shorter row in a padded batch scores its positions exactly as a prefix of the full row does.
            float[][] mixed = model.tokenLogProbabilities(new int[][] {Arrays.copyOf(rows[1], 3), rows[0]});
            assertArrayEquals(Arrays.copyOf(scores[1], 2), mixed[0], 1e-6f);
            assertArrayEquals(scores[0], mixed[1], 1e-6f);
        }
    }

    @Test
    void cachedGreedyDecodingEqualsDecodingByFullForwardPasses() {
        int[] prompt = {3, 4};
        try (DecoderLanguageModel model = new DecoderLanguageModel(SETUP, checkpoint);
             LanguageModel.Decoding cached = model.startDecoding(prompt)) {
            int[] sequence = Arrays.copyOf(prompt, model.contextLength());
            for (int length = prompt.length; length < model.contextLength(); length++) {
                float[] withCache = cached.nextLogProbabilities();
                float[] fullPass;
                try (LanguageModel.Decoding fresh = model.startDecoding(Arrays.copyOf(sequence, length))) {
                    fullPass = fresh.nextLogProbabilities();
                }
                assertArrayEquals(fullPass, withCache, 1e-5f, "position " + length);
                int token = argmax(withCache);
                sequence[length] = token;
                cached.append(token);
            }
            // The stream learned the cycle 0..4: greedy decoding continues it.
            assertArrayEquals(new int[] {3, 4, 0, 1, 2, 3, 4, 0}, sequence);
            assertThrows(IllegalStateException.class, () -> cached.append(0), "context is full");

            float[] scored = model.tokenLogProbabilities(new int[][] {Arrays.copyOf(sequence, 4)})[0];
            try (LanguageModel.Decoding again = model.startDecoding(prompt)) {
                assertEquals(scored[1], again.nextLogProbabilities()[sequence[2]], 1e-5);
                again.append(sequence[2]);
                assertEquals(scored[2], again.nextLogProbabilities()[sequence[3]], 1e-5);
            }
        }
    }

    @Test
    void badInputNamesTheRowOrToken(@TempDir Path empty) {
        try (DecoderLanguageModel model = new DecoderLanguageModel(SETUP, checkpoint)) {
            assertTrue(assertThrows(IllegalArgumentException.class,
                    () -> model.tokenLogProbabilities(new int[][] {{1, 2}, {1}})).getMessage().contains("rows[1]"));
            assertTrue(assertThrows(IllegalArgumentException.class,
                    () -> model.startDecoding(new int[] {1, 99})).getMessage().contains("prompt[1] = 99"));
            assertTrue(assertThrows(IllegalArgumentException.class,
                    () -> model.startDecoding(new int[9])).getMessage().contains("prompt must hold 1 to 8"));
        }
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new DecoderLanguageModel(SETUP, empty)).getMessage().contains("variables.index"));
    }

    private static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
