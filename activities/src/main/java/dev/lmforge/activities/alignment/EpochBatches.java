package dev.lmforge.activities.alignment;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;

/**
 * The batches of one epoch over {@code count} items: a seeded shuffle cut into batches of {@code size}; the last
 * batch is filled from the epoch's start, so every item is seen at least once and each batch is full.
 */
final class EpochBatches {

    private EpochBatches() {
    }

    /** Batches per epoch. */
    static int perEpoch(int count, int size) {
        return (count + size - 1) / size;
    }

    /** The item indices of each batch of epoch {@code epoch}. */
    static List<int[]> of(int count, int size, long seed, int epoch) {
        int[] order = new int[count];
        for (int i = 0; i < count; i++) {
            order[i] = i;
        }
        SplittableRandom random = new SplittableRandom(seed * 1_000_003L + epoch);
        for (int i = count - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        List<int[]> batches = new ArrayList<>();
        for (int b = 0; b < perEpoch(count, size); b++) {
            int[] batch = new int[size];
            for (int i = 0; i < size; i++) {
                batch[i] = order[(b * size + i) % count];
            }
            batches.add(batch);
        }
        return batches;
    }

    /**
     * The batches of epochs {@code 0 .. epochs - 1} in order, starting with the one that optimizer step
     * {@code first} (0-based) takes: where a run checkpointed after {@code first} steps continues.
     */
    static Iterable<int[]> from(int count, int size, long seed, int epochs, long first) {
        int perEpoch = perEpoch(count, size);
        long total = (long) epochs * perEpoch;
        return () -> new Iterator<>() {
            private long step = first;
            private int epoch = -1;
            private List<int[]> batches;

            @Override
            public boolean hasNext() {
                return step < total;
            }

            @Override
            public int[] next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                if (step / perEpoch != epoch) {
                    epoch = (int) (step / perEpoch);
                    batches = of(count, size, seed, epoch);
                }
                return batches.get((int) (step++ % perEpoch));
            }
        };
    }
}
