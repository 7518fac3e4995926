package dev.lmforge.activities.text;

import java.util.Arrays;

/** A growable list of primitive ints, so hot loops neither box nor allocate per element. */
public final class IntList {

    private int[] values;
    private int size;

    public IntList(int capacity) {
        values = new int[Math.max(capacity, 4)];
    }

    public void add(int value) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = value;
    }

    public void addAll(int[] source, int from, int count) {
        if (size + count > values.length) {
            values = Arrays.copyOf(values, Math.max(values.length * 2, size + count));
        }
        System.arraycopy(source, from, values, size, count);
        size += count;
    }

    public int get(int index) {
        return values[index];
    }

    public int size() {
        return size;
    }

    /** The last element; the list must not be empty. */
    public int last() {
        return values[size - 1];
    }

    public void clear() {
        size = 0;
    }

    public int[] toArray() {
        return Arrays.copyOf(values, size);
    }
}
