package dev.lmforge.activities.tokenizer;

import java.util.Arrays;

/**
 * Gives each distinct byte string a dense id (0, 1, 2, ...), looked up straight from a slice of a larger array
 * so that neither a lookup nor a hit allocates. Keys live in one shared byte arena. Callers keep per-id values in
 * their own arrays: the trainer counts pieces with it, the encoder caches each piece's token ids.
 */
final class ByteSliceIndex {

    private int[] slots;      // open addressing: id + 1, or 0 when empty
    private int[] hashes;     // by id
    private int[] starts;     // by id: offset of the key in the arena
    private int[] lengths;    // by id
    private byte[] arena;
    private int arenaUsed;
    private int size;

    ByteSliceIndex(int expectedKeys) {
        int capacity = Integer.highestOneBit(Math.max(16, expectedKeys) * 2 - 1) * 2;
        slots = new int[capacity];
        hashes = new int[capacity / 2];
        starts = new int[capacity / 2];
        lengths = new int[capacity / 2];
        arena = new byte[capacity * 8];
    }

    /** The number of distinct keys. */
    int size() {
        return size;
    }

    /** The id of {@code s[from, to)}, or -1 if it was never added. */
    int find(byte[] s, int from, int to) {
        int hash = hash(s, from, to);
        int mask = slots.length - 1;
        for (int slot = hash & mask; ; slot = (slot + 1) & mask) {
            int id = slots[slot] - 1;
            if (id < 0) {
                return -1;
            }
            if (hashes[id] == hash && equalsKey(id, s, from, to)) {
                return id;
            }
        }
    }

    /** The id of {@code s[from, to)}, adding it if it is new. */
    int add(byte[] s, int from, int to) {
        int hash = hash(s, from, to);
        int mask = slots.length - 1;
        int slot = hash & mask;
        for (; ; slot = (slot + 1) & mask) {
            int id = slots[slot] - 1;
            if (id < 0) {
                break;
            }
            if (hashes[id] == hash && equalsKey(id, s, from, to)) {
                return id;
            }
        }
        int id = size++;
        if (id == hashes.length) {
            hashes = Arrays.copyOf(hashes, id * 2);
            starts = Arrays.copyOf(starts, id * 2);
            lengths = Arrays.copyOf(lengths, id * 2);
        }
        int length = to - from;
        if (arenaUsed + length > arena.length) {
            arena = Arrays.copyOf(arena, Math.max(arena.length * 2, arenaUsed + length));
        }
        System.arraycopy(s, from, arena, arenaUsed, length);
        hashes[id] = hash;
        starts[id] = arenaUsed;
        lengths[id] = length;
        arenaUsed += length;
        slots[slot] = id + 1;
        if (size * 2 > slots.length) {
            rehash(slots.length * 2);
        }
        return id;
    }

    /** A copy of the key with id {@code id}. */
    byte[] key(int id) {
        return Arrays.copyOfRange(arena, starts[id], starts[id] + lengths[id]);
    }

    int keyLength(int id) {
        return lengths[id];
    }

    /** Forgets every key but keeps the arrays, so a bounded cache can start over without reallocating. */
    void clear() {
        Arrays.fill(slots, 0);
        size = 0;
        arenaUsed = 0;
    }

    private boolean equalsKey(int id, byte[] s, int from, int to) {
        int start = starts[id];
        return Arrays.equals(arena, start, start + lengths[id], s, from, to);
    }

    private void rehash(int capacity) {
        slots = new int[capacity];
        int mask = capacity - 1;
        for (int id = 0; id < size; id++) {
            int slot = hashes[id] & mask;
            while (slots[slot] != 0) {
                slot = (slot + 1) & mask;
            }
            slots[slot] = id + 1;
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
