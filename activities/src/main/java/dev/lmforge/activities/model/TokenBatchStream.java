package dev.lmforge.activities.model;

import dev.lmforge.activities.text.TokenShardReader;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Training rows from a directory of token shards, in an order fixed by a seed, from a position that a checkpoint
 * saves: a resumed run sees exactly the rows it would have seen. The token stream is cut into rows of
 * {@code seqLen + 1} ids that start every {@code seqLen} tokens (a row's last id is the next row's first: every
 * token is a target once per epoch); each epoch visits all rows in its own pseudo-random order.
 *
 * <p>The order is a keyed permutation computed on demand (a Feistel network over the row indices, walking the
 * cycle back into range), so it needs no memory per row and a position is one number.
 */
public final class TokenBatchStream implements Closeable {

    private static final int FEISTEL_ROUNDS = 4;

    private final TokenShardReader reader;
    private final int seqLen;
    private final long seed;
    private final long rowsPerEpoch;
    private final int halfBits;
    private long position;

    private TokenBatchStream(TokenShardReader reader, int seqLen, long seed) {
        this.reader = reader;
        this.seqLen = seqLen;
        this.seed = seed;
        this.rowsPerEpoch = (reader.index().tokens() - 1) / seqLen;
        int bits = 64 - Long.numberOfLeadingZeros(Math.max(1, rowsPerEpoch - 1));
        this.halfBits = Math.max(1, (bits + 1) / 2);
    }

    /** Opens the shards in {@code directory}; fails when they hold less than one row of {@code seqLen + 1}. */
    public static TokenBatchStream open(Path directory, int seqLen, long seed) throws IOException {
        if (seqLen <= 0) {
            throw new IllegalArgumentException("seqLen must be positive, got " + seqLen);
        }
        TokenShardReader reader = TokenShardReader.open(directory);
        if (reader.index().tokens() < seqLen + 1L) {
            long tokens = reader.index().tokens();
            reader.close();
            throw new IllegalArgumentException("the corpus has " + tokens + " tokens, fewer than one training row of "
                    + (seqLen + 1));
        }
        return new TokenBatchStream(reader, seqLen, seed);
    }

    /** Rows in one pass over the corpus. */
    public long rowsPerEpoch() {
        return rowsPerEpoch;
    }

    /** Rows handed out so far: the data position a checkpoint saves. */
    public long position() {
        return position;
    }

    /** Continues from {@code position} (a value {@link #position()} returned). */
    public void seek(long position) {
        if (position < 0) {
            throw new IllegalArgumentException("position must not be negative, got " + position);
        }
        this.position = position;
    }

    /** The next {@code rows} rows of {@code seqLen + 1} ids, flattened row-major. */
    public int[] next(int rows) throws IOException {
        int width = seqLen + 1;
        int[] ids = new int[rows * width];
        for (int r = 0; r < rows; r++, position++) {
            long epoch = position / rowsPerEpoch;
            long row = permute(position % rowsPerEpoch, seed * 0x9E3779B97F4A7C15L + epoch);
            reader.seek(row * seqLen);
            int read = 0;
            while (read < width) {
                int n = reader.read(ids, r * width + read, width - read);
                if (n < 0) {
                    throw new IOException("token shards ended inside row " + row);
                }
                read += n;
            }
        }
        return ids;
    }

    /** A bijection of {@code [0, rowsPerEpoch)} keyed by {@code key}. */
    long permute(long index, long key) {
        long mask = (1L << halfBits) - 1;
        long x = index;
        do {
            long left = x >>> halfBits;
            long right = x & mask;
            for (int round = 0; round < FEISTEL_ROUNDS; round++) {
                long next = left ^ (mix(right ^ key ^ ((long) round << 56)) & mask);
                left = right;
                right = next;
            }
            x = (left << halfBits) | right;
        } while (x >= rowsPerEpoch);  // cycle-walking: the domain is a power of four, at most 4x the rows
        return x;
    }

    /** SplitMix64's finaliser: a well-mixed 64-bit hash. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
