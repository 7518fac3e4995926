package dev.lmforge.activities.text;

import java.util.Arrays;

/**
 * Gives each distinct byte string a dense id (0, 1, 2, ...), looked up straight from a slice of a larger array
 * so that neither a lookup nor a hit allocates. Keys live in one shared byte arena. Callers keep per-id values in
 * their own arrays: the trainer counts pieces with it, the encoder caches each piece's token ids.
 */
public final class ByteSliceIndex {

    private long[] slots;     // open addressing: hash << 32 | (id + 1), or 0 when empty; the hash avoids a lookup
    private int[] hashes;     // by id, for rehashing
    private long[] spans;     // by id: offset of the key in the arena << 32 | its length (one load for both)
    private byte[] arena;
    private int arenaUsed;
    private int size;

    public ByteSliceIndex(int expectedKeys) {
        int capacity = Integer.highestOneBit(Math.max(16, expectedKeys) * 2 - 1) * 2;
        slots = new long[capacity];
        hashes = new int[capacity / 2];
        spans = new long[capacity / 2];
        arena = new byte[capacity * 8];
    }

    /** The number of distinct keys. */
    public int size() {
        return size;
    }

    /** The id of {@code s[from, to)}, or -1 if it was never added. */
    int find(byte[] s, int from, int to) {
        int hash = hash(s, from, to);
        int mask = slots.length - 1;
        for (int slot = hash & mask; ; slot = (slot + 1) & mask) {
            long entry = slots[slot];
            if (entry == 0) {
                return -1;
            }
            int id = (int) entry - 1;
            if ((int) (entry >>> 32) == hash && equalsKey(id, s, from, to)) {
                return id;
            }
        }
    }

    /** The id of {@code s[from, to)}, adding it if it is new. */
    public int add(byte[] s, int from, int to) {
        int hash = hash(s, from, to);
        int mask = slots.length - 1;
        int slot = hash & mask;
        for (; slots[slot] != 0; slot = (slot + 1) & mask) {
            long entry = slots[slot];
            int id = (int) entry - 1;
            if ((int) (entry >>> 32) == hash && equalsKey(id, s, from, to)) {
                return id;
            }
        }
        int id = size++;
        if (id == hashes.length) {
            hashes = Arrays.copyOf(hashes, id * 2);
            spans = Arrays.copyOf(spans, id * 2);
        }
        int length = to - from;
        if (arenaUsed + length > arena.length) {
            arena = Arrays.copyOf(arena, Math.max(arena.length * 2, arenaUsed + length));
        }
        System.arraycopy(s, from, arena, arenaUsed, length);
        hashes[id] = hash;
        spans[id] = (long) arenaUsed << 32 | length;
        arenaUsed += length;
        slots[slot] = entry(hash, id);
        if (size * 2 > slots.length) {
            rehash(slots.length * 2);
        }
        return id;
    }

    /** A copy of the key with id {@code id}. */
    public byte[] key(int id) {
        int start = (int) (spans[id] >>> 32);
        return Arrays.copyOfRange(arena, start, start + keyLength(id));
    }

    public int keyLength(int id) {
        return (int) spans[id];
    }

    /** Forgets every key but keeps the arrays, so a bounded cache can start over without reallocating. */
    void clear() {
        Arrays.fill(slots, 0);
        size = 0;
        arenaUsed = 0;
    }

    private boolean equalsKey(int id, byte[] s, int from, int to) {
        long span = spans[id];
        if ((int) span != to - from) {
            return false;
        }
        // Most keys are a few bytes: a plain loop beats the set-up cost of Arrays.equals.
        for (int i = from, j = (int) (span >>> 32); i < to; i++, j++) {
            if (s[i] != arena[j]) {
                return false;
            }
        }
        return true;
    }

    private static long entry(int hash, int id) {
        return (long) hash << 32 | (id + 1);
    }

    private void rehash(int capacity) {
        slots = new long[capacity];
        int mask = capacity - 1;
        for (int id = 0; id < size; id++) {
            int slot = hashes[id] & mask;
            while (slots[slot] != 0) {
                slot = (slot + 1) & mask;
            }
            slots[slot] = entry(hashes[id], id);
        }
    }

    private static int hash(byte[] s, int from, int to) {
        int h = 0x811C9DC5;
        for (int i = from; i < to; i++) {
            h = (h ^ s[i]) * 0x01000193; // FNV-1a
        }
        return h ^ h >>> 15;
    }
}
