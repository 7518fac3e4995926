package dev.lmforge.activities.tokenizer;

import java.util.Arrays;

/** A growable list of primitive ints, so hot loops neither box nor allocate per element. */
final class IntList {

    private int[] values;
    private int size;

    IntList(int capacity) {
        values = new int[Math.max(capacity, 4)];
    }

    void add(int value) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = value;
    }

    void addAll(int[] source, int from, int count) {
        if (size + count > values.length) {
            values = Arrays.copyOf(values, Math.max(values.length * 2, size + count));
        }
        System.arraycopy(source, from, values, size, count);
        size += count;
    }

    int get(int index) {
        return values[index];
    }

    int size() {
        return size;
    }

    /** The last element; the list must not be empty. */
    int last() {
        return values[size - 1];
    }

    void clear() {
        size = 0;
    }

    int[] toArray() {
        return Arrays.copyOf(values, size);
    }
}
