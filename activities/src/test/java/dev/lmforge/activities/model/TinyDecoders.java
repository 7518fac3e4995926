package dev.lmforge.activities.model;

import java.util.SplittableRandom;

/** Tiny shapes, setups and token streams shared by the training tests. */
final class TinyDecoders {

    /** 2 layers, d_model 16, 4 heads over 2 key/value heads, 8 positions, 32 ids. */
    static final ModelShape SHAPE = new ModelShape(2, 16, 4, 2, 8, 32);

    private TinyDecoders() {
    }

    static TrainingSetup setup(int microBatch, int accumulation, ComputePrecision precision) {
        return setup(OptimizerSettings.paper(), microBatch, accumulation, precision);
    }

    static TrainingSetup setup(OptimizerSettings optimizer, int microBatch, int accumulation,
                               ComputePrecision precision) {
        return new TrainingSetup(SHAPE, optimizer, microBatch, accumulation, precision, 42, 1, null);
    }

    /** {@code rows} rows of {@code seqLen + 1} uniformly random ids. */
    static int[] randomRows(int rows, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] tokens = new int[rows * (SHAPE.seqLen() + 1)];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = random.nextInt(SHAPE.vocab());
        }
        return tokens;
    }

    /** Rows cut from the cycle 0, 1, ..., period - 1, 0, 1, ..., each starting at a random phase. */
    static int[] repetitiveRows(int rows, int period, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int width = SHAPE.seqLen() + 1;
        int[] tokens = new int[rows * width];
        for (int r = 0; r < rows; r++) {
            int phase = random.nextInt(period);
            for (int i = 0; i < width; i++) {
                tokens[r * width + i] = (phase + i) % period;
            }
        }
        return tokens;
    }
}
