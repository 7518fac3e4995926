package dev.lmforge.activities.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

class DecoderTrainerTest {

    private static final double LEARNING_RATE = 1e-2;

    @Test
    void lossFallsOnARepetitiveStream() {
        try (DecoderTrainer trainer = new DecoderTrainer(TinyDecoders.setup(8, 1, ComputePrecision.FLOAT32))) {
            double first = trainer.step(TinyDecoders.repetitiveRows(8, 5, 0), null, LEARNING_RATE).loss();
            assertEquals(Math.log(TinyDecoders.SHAPE.vocab()), first, 0.05, "near-uniform at init");
            for (int step = 1; step < 60; step++) {
                trainer.step(TinyDecoders.repetitiveRows(8, 5, step), null, LEARNING_RATE);
            }
            double last = trainer.loss(TinyDecoders.repetitiveRows(8, 5, 1000), 8);
            assertTrue(last < 0.5, "loss after 60 steps: " + last);
            assertEquals(60, trainer.step());
        }
    }

    @Test
    void bfloat16MatmulsTrainToo() {
        try (DecoderTrainer trainer = new DecoderTrainer(TinyDecoders.setup(8, 1, ComputePrecision.BFLOAT16))) {
            double first = trainer.step(TinyDecoders.repetitiveRows(8, 5, 0), null, LEARNING_RATE).loss();
            for (int step = 1; step < 40; step++) {
                trainer.step(TinyDecoders.repetitiveRows(8, 5, step), null, LEARNING_RATE);
            }
            double last = trainer.loss(TinyDecoders.repetitiveRows(8, 5, 1000), 8);
            assertTrue(last < first / 2, "bf16 loss " + first + " -> " + last);
        }
    }

    @Test
    void sameSeedAndInputsGiveBitIdenticalSteps() {
        assertEquals(run(TinyDecoders.setup(4, 2, ComputePrecision.FLOAT32), 3),
                run(TinyDecoders.setup(4, 2, ComputePrecision.FLOAT32), 3));
    }

    @Test
    void restoredTrainerContinuesStepForStep(@TempDir Path dir) {
        TrainingSetup setup = TinyDecoders.setup(4, 1, ComputePrecision.FLOAT32);
        List<StepResult> uninterrupted = new ArrayList<>();
        try (DecoderTrainer trainer = new DecoderTrainer(setup)) {
            for (int step = 0; step < 3; step++) {
                trainer.step(TinyDecoders.randomRows(4, step), null, LEARNING_RATE);
            }
            trainer.save(dir);
            for (int step = 3; step < 6; step++) {
                uninterrupted.add(trainer.step(TinyDecoders.randomRows(4, step), null, LEARNING_RATE));
            }
        }
        TrainingSetup otherSeed = new TrainingSetup(setup.shape(), setup.optimizer(), 4, 1, setup.precision(), 7,
                1, null);
        try (DecoderTrainer resumed = new DecoderTrainer(otherSeed)) {
            resumed.restore(dir);
            assertEquals(3, resumed.step());
            List<StepResult> after = new ArrayList<>();
            for (int step = 3; step < 6; step++) {
                after.add(resumed.step(TinyDecoders.randomRows(4, step), null, LEARNING_RATE));
            }
            assertEquals(uninterrupted, after);
            assertEquals(6, resumed.step());
        }
    }

    @Test
    void aWeightsOnlyRestoreTakesTheWeightsWithFreshMomentsAndStepZero(@TempDir Path dir) {
        TrainingSetup setup = TinyDecoders.setup(OptimizerSettings.paper(), 4, 1, ComputePrecision.FLOAT64);
        Map<String, double[]> trained = new HashMap<>();
        try (DecoderTrainer pretrained = new DecoderTrainer(setup)) {
            for (int step = 0; step < 3; step++) {
                pretrained.step(TinyDecoders.randomRows(4, step), null, LEARNING_RATE);
            }
            pretrained.save(dir);
            for (String name : pretrained.parameterNames()) {
                trained.put(name, pretrained.variableValues(name));
            }
        }
        TrainingSetup otherSeed = new TrainingSetup(setup.shape(), setup.optimizer(), 4, 1, setup.precision(), 7,
                1, null);
        try (DecoderTrainer tuned = new DecoderTrainer(otherSeed)) {
            tuned.restoreWeights(dir);
            assertEquals(0, tuned.step(), "the step counter is not the checkpoint's 3");
            for (String name : tuned.parameterNames()) {
                assertArrayEquals(trained.get(name), tuned.variableValues(name), 0, name);
                assertEquals(0, sumOf(tuned.variableValues(name + "_adam_m")), name + " first moment");
                assertEquals(0, sumOf(tuned.variableValues(name + "_adam_v")), name + " second moment");
            }
            // From zero moments one step leaves m = (1 - β1)·g·min(1, clip/‖g‖): no trace of the 3 steps before.
            StepResult result = tuned.step(TinyDecoders.randomRows(4, 9), null, LEARNING_RATE);
            double squares = 0;
            for (String name : tuned.parameterNames()) {
                for (double m : tuned.variableValues(name + "_adam_m")) {
                    squares += m * m;
                }
            }
            double expected = (1 - setup.optimizer().beta1())
                    * Math.min(result.gradientNorm(), setup.optimizer().gradientClip());
            assertEquals(expected, Math.sqrt(squares), 1e-9 * expected);
            assertEquals(1, tuned.step());
        }
    }

    @Test
    void aWeightsOnlyRestoreFromAnEmptyDirectoryNamesTheMissingFile(@TempDir Path dir) {
        try (DecoderTrainer trainer = new DecoderTrainer(TinyDecoders.setup(1, 1, ComputePrecision.FLOAT32))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> trainer.restoreWeights(dir));
            assertTrue(e.getMessage().contains("variables.index"), e.getMessage());
        }
    }

    @Test
    void restoreFromAnEmptyDirectoryNamesTheMissingFile(@TempDir Path dir) {
        try (DecoderTrainer trainer = new DecoderTrainer(TinyDecoders.setup(1, 1, ComputePrecision.FLOAT32))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> trainer.restore(dir));
            assertTrue(e.getMessage().contains("variables.index"), e.getMessage());
        }
    }

    @Test
    void accumulatedMicroBatchesEqualOneBigBatch() {
        float[] weights = new float[8 * TinyDecoders.SHAPE.seqLen()];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = i % 3 == 0 ? 0f : 1f + (i % 5) * 0.25f;
        }
        int[] tokens = TinyDecoders.randomRows(8, 11);
        try (DecoderTrainer big = new DecoderTrainer(TinyDecoders.setup(8, 1, ComputePrecision.FLOAT32));
             DecoderTrainer split = new DecoderTrainer(TinyDecoders.setup(2, 4, ComputePrecision.FLOAT32))) {
            for (int step = 0; step < 2; step++) {
                StepResult a = big.step(tokens, weights, LEARNING_RATE);
                StepResult b = split.step(tokens, weights, LEARNING_RATE);
                assertEquals(a.loss(), b.loss(), 1e-5 * a.loss());
                assertEquals(a.gradientNorm(), b.gradientNorm(), 1e-4 * a.gradientNorm());
            }
            assertArrayEquals(big.variableValues("layer1_w_down"), split.variableValues("layer1_w_down"), 1e-6);
            assertEquals(0, sumOf(split.variableValues("layer1_w_down_gradient_sum")), "sums reset after update");
        }
    }

    @Test
    void weightDecaySkipsNorms() {
        OptimizerSettings paper = OptimizerSettings.paper();
        OptimizerSettings heavyDecay = new OptimizerSettings(paper.beta1(), paper.beta2(), 0.5,
                paper.gradientClip(), paper.initStd());
        OptimizerSettings noDecay = new OptimizerSettings(paper.beta1(), paper.beta2(), 0,
                paper.gradientClip(), paper.initStd());
        int[] tokens = TinyDecoders.randomRows(4, 3);
        try (DecoderTrainer decayed = new DecoderTrainer(TinyDecoders.setup(heavyDecay, 4, 1, ComputePrecision.FLOAT64));
             DecoderTrainer plain = new DecoderTrainer(TinyDecoders.setup(noDecay, 4, 1, ComputePrecision.FLOAT64))) {
            double[] initial = plain.variableValues("layer0_w_qkv");
            decayed.step(tokens, null, LEARNING_RATE);
            plain.step(tokens, null, LEARNING_RATE);
            assertArrayEquals(plain.variableValues("layer0_attention_norm"),
                    decayed.variableValues("layer0_attention_norm"), 0, "norm gains are not decayed");
            assertArrayEquals(plain.variableValues("final_norm"), decayed.variableValues("final_norm"), 0);
            double[] withDecay = decayed.variableValues("layer0_w_qkv");
            double[] without = plain.variableValues("layer0_w_qkv");
            for (int i = 0; i < initial.length; i++) {
                // Decoupled decay: w -= lr·wd·w on top of the same Adam step.
                assertEquals(without[i] - LEARNING_RATE * 0.5 * initial[i], withDecay[i], 1e-12);
            }
        }
    }

    @Test
    void clippingBoundsTheGradientTheMomentsSee() {
        OptimizerSettings paper = OptimizerSettings.paper();
        int[] tokens = TinyDecoders.randomRows(4, 5);
        for (double clip : new double[] {1e-3, 1e3}) {
            OptimizerSettings settings = new OptimizerSettings(paper.beta1(), paper.beta2(), paper.weightDecay(),
                    clip, paper.initStd());
            try (DecoderTrainer trainer = new DecoderTrainer(TinyDecoders.setup(settings, 4, 1, ComputePrecision.FLOAT64))) {
                StepResult result = trainer.step(tokens, null, LEARNING_RATE);
                double squares = 0;
                for (String name : trainer.parameterNames()) {
                    for (double m : trainer.variableValues(name + "_adam_m")) {
                        squares += m * m;
                    }
                }
                // After one step m = (1 - β1)·g·min(1, clip/‖g‖), so ‖m‖ = (1 - β1)·min(‖g‖, clip).
                double expected = (1 - paper.beta1()) * Math.min(result.gradientNorm(), clip);
                assertEquals(expected, Math.sqrt(squares), 1e-9 * expected, "clip " + clip);
            }
        }
    }

    @Test
    void servingSavedModelGivesTheTrainersLogitsAndHoldsOnlyTheWeights(@TempDir Path dir) throws IOException {
        int[] tokens = TinyDecoders.randomRows(2, 9);
        try (DecoderTrainer trainer = new DecoderTrainer(TinyDecoders.setup(2, 1, ComputePrecision.FLOAT32))) {
            trainer.step(tokens, null, LEARNING_RATE);
            double expected = trainer.loss(tokens, 2);
            trainer.save(dir.resolve("checkpoint"));
            try (DecoderLanguageModel model = new DecoderLanguageModel(trainer.setup(), dir.resolve("checkpoint"))) {
                model.exportSavedModel(dir.resolve("model"));
            }
            // The checkpoint carries AdamW's two moments beside the weights; the SavedModel the weights alone.
            long weightBytes = 4 * trainer.parameterCount();
            assertTrue(dataBytes(dir.resolve("checkpoint")) >= 3 * weightBytes);
            assertTrue(dataBytes(dir.resolve("model").resolve("variables")) < weightBytes + 4096);
            int seqLen = TinyDecoders.SHAPE.seqLen();
            int vocab = TinyDecoders.SHAPE.vocab();
            int[] inputs = new int[2 * seqLen];
            for (int r = 0; r < 2; r++) {
                System.arraycopy(tokens, r * (seqLen + 1), inputs, r * seqLen, seqLen);
            }
            try (SavedModelBundle bundle = SavedModelBundle.load(dir.resolve("model").toString());
                 TInt32 input = TInt32.tensorOf(Shape.of(2, seqLen), DataBuffers.of(inputs, true, false));
                 Result result = bundle.function(DecoderLanguageModel.SERVING_SIGNATURE).call(Map.of("tokens", input))) {
                TFloat32 logits = (TFloat32) result.get("logits").orElseThrow();
                assertEquals(Shape.of(2, seqLen, vocab), logits.shape());
                double nll = 0;
                for (int r = 0; r < 2; r++) {
                    for (int p = 0; p < seqLen; p++) {
                        double max = Double.NEGATIVE_INFINITY;
                        for (int v = 0; v < vocab; v++) {
                            max = Math.max(max, logits.getFloat(r, p, v));
                        }
                        double sum = 0;
                        for (int v = 0; v < vocab; v++) {
                            sum += Math.exp(logits.getFloat(r, p, v) - max);
                        }
                        int target = tokens[r * (seqLen + 1) + p + 1];
                        nll += max + Math.log(sum) - logits.getFloat(r, p, target);
                    }
                }
                assertEquals(expected, nll / (2 * seqLen), 1e-5);
            }
        }
    }

    private static long dataBytes(Path variables) throws IOException {
        try (Stream<Path> files = Files.list(variables)) {
            long total = 0;
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith("variables.data")).toList()) {
                total += Files.size(file);
            }
            return total;
        }
    }

    @Test
    void parameterCountMatchesTheExactCountOfModelScale() {
        try (DecoderTrainer trainer = new DecoderTrainer(TinyDecoders.setup(1, 1, ComputePrecision.FLOAT32))) {
            assertEquals(ModelScale.of(TinyDecoders.SHAPE).exactParams(), trainer.parameterCount());
        }
    }

    @Test
    void badInputIsRefusedWithTheFieldNamed() {
        try (DecoderTrainer trainer = new DecoderTrainer(TinyDecoders.setup(2, 1, ComputePrecision.FLOAT32))) {
            int[] tokens = TinyDecoders.randomRows(2, 1);
            assertTrue(assertThrows(IllegalArgumentException.class,
                    () -> trainer.step(new int[5], null, 1e-3)).getMessage().contains("tokens must hold 2 rows"));
            tokens[3] = 32;
            assertTrue(assertThrows(IllegalArgumentException.class,
                    () -> trainer.step(tokens, null, 1e-3)).getMessage().contains("tokens[3] = 32"));
            tokens[3] = 0;
            assertTrue(assertThrows(IllegalArgumentException.class,
                    () -> trainer.step(tokens, new float[3], 1e-3)).getMessage().contains("lossWeights"));
            assertTrue(assertThrows(IllegalArgumentException.class,
                    () -> trainer.step(tokens, null, Double.NaN)).getMessage().contains("learningRate"));
            assertEquals(0, trainer.step(), "nothing was applied");
        }
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new TrainingSetup(TinyDecoders.SHAPE, OptimizerSettings.paper(), 0, 1,
                        ComputePrecision.FLOAT32, 1, 1, null)).getMessage().contains("microBatchSequences"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new TrainingSetup(TinyDecoders.SHAPE, OptimizerSettings.paper(), 1, 1,
                        ComputePrecision.FLOAT32, 1, 1, "gpu")).getMessage().contains("device"));
    }

    private static List<StepResult> run(TrainingSetup setup, int steps) {
        List<StepResult> results = new ArrayList<>();
        try (DecoderTrainer trainer = new DecoderTrainer(setup)) {
            for (int step = 0; step < steps; step++) {
                results.add(trainer.step(TinyDecoders.randomRows(setup.sequencesPerStep(), step), null,
                        LEARNING_RATE));
            }
        }
        assertNotEquals(results.get(0), results.get(steps - 1));
        return results;
    }

    private static double sumOf(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += Math.abs(v);
        }
        return sum;
    }
}
