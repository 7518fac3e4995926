package dev.lmforge.activities.text;

import java.util.Arrays;

/**
 * Gives each distinct pair of token ids a dense id (0, 1, 2, ... in the order pairs are added), with
 * open addressing over primitive longs. The encoder adds merges in rank order, so a pair's id is its merge rank;
 * the trainer indexes the pair statistics it keeps by it.
 */
public final class PairIndex {

    private static final long EMPTY = -1L;

    private long[] keys;
    private int[] ids;
    private long[] keysById;
    private int size;
    private int shift;

    public PairIndex(int expectedPairs) {
        int capacity = Integer.highestOneBit(Math.max(16, expectedPairs) * 2 - 1) * 2;
        keys = new long[capacity];
        ids = new int[capacity];
        Arrays.fill(keys, EMPTY);
        keysById = new long[capacity / 2];
        shift = 64 - Integer.numberOfTrailingZeros(capacity);
    }

    static long key(int left, int right) {
        return (long) left << 32 | right;
    }

    public static int left(long key) {
        return (int) (key >>> 32);
    }

    public static int right(long key) {
        return (int) key;
    }

    public int size() {
        return size;
    }

    /** The pair with id {@code id}, as {@link #key}. */
    public long keyOf(int id) {
        return keysById[id];
    }

    /** The id of the pair, or -1. */
    int find(int left, int right) {
        long key = key(left, right);
        int mask = keys.length - 1;
        for (int slot = slot(key); ; slot = (slot + 1) & mask) {
            long k = keys[slot];
            if (k == key) {
                return ids[slot];
            }
            if (k == EMPTY) {
                return -1;
            }
        }
    }

    /** The id of the pair, adding it if it is new. */
    public int add(int left, int right) {
        long key = key(left, right);
        int mask = keys.length - 1;
        int slot = slot(key);
        for (; keys[slot] != EMPTY; slot = (slot + 1) & mask) {
            if (keys[slot] == key) {
                return ids[slot];
            }
        }
        int id = size++;
        keys[slot] = key;
        ids[slot] = id;
        if (id == keysById.length) {
            keysById = Arrays.copyOf(keysById, id * 2);
        }
        keysById[id] = key;
        if (size * 2 > keys.length) {
            grow();
        }
        return id;
    }

    private int slot(long key) {
        return (int) ((key * 0x9E3779B97F4A7C15L) >>> shift);
    }

    private void grow() {
        keys = new long[keys.length * 2];
        ids = new int[keys.length];
        Arrays.fill(keys, EMPTY);
        shift--;
        int mask = keys.length - 1;
        for (int id = 0; id < size; id++) {
            int slot = slot(keysById[id]);
            while (keys[slot] != EMPTY) {
                slot = (slot + 1) & mask;
            }
            keys[slot] = keysById[id];
            ids[slot] = id;
        }
    }
}
