package dev.lmforge.activities.text;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Streams token ids from a directory written by {@link TokenShardWriter}, from any position of the flat stream
 * across shard boundaries. Not thread-safe: open one reader per thread.
 */
public final class TokenShardReader implements Closeable {

    private final Path directory;
    private final TokenShardIndex index;
    private final long[] shardStarts;
    private final ByteBuffer buffer;
    private FileChannel channel;
    private int shard = -1;
    private long position;

    private TokenShardReader(Path directory, TokenShardIndex index) {
        this.directory = directory;
        this.index = index;
        this.shardStarts = new long[index.shards().size() + 1];
        for (int i = 0; i < index.shards().size(); i++) {
            shardStarts[i + 1] = shardStarts[i] + index.shards().get(i).tokens();
        }
        this.buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        buffer.limit(0);
    }

    /** Opens {@code directory}, checking its index ({@link TokenShardIndex#read}); positioned at token 0. */
    public static TokenShardReader open(Path directory) throws IOException {
        return new TokenShardReader(directory, TokenShardIndex.read(directory));
    }

    /** The directory's checked index. */
    public TokenShardIndex index() {
        return index;
    }

    /** The position of the next token {@link #read} returns. */
    public long position() {
        return position;
    }

    /** Moves to token {@code position} of the stream (0 to the total; the total means the end). */
    public void seek(long position) throws IOException {
        if (position < 0 || position > index.tokens()) {
            throw new IllegalArgumentException("position " + position + " is outside 0.." + index.tokens());
        }
        this.position = position;
        closeShard();
    }

    /** Reads up to {@code length} ids into {@code ids[offset..]}; returns how many, or -1 at the end of the stream. */
    public int read(int[] ids, int offset, int length) throws IOException {
        if (position == index.tokens()) {
            return -1;
        }
        int done = 0;
        while (done < length && position < index.tokens()) {
            if (!buffer.hasRemaining()) {
                fill();
            }
            int width = index.bytesPerToken();
            while (done < length && buffer.remaining() >= width) {
                ids[offset + done++] = width == 2 ? Short.toUnsignedInt(buffer.getShort()) : buffer.getInt();
                position++;
            }
        }
        return done;
    }

    /** Refills the buffer from the shard holding {@link #position}, opening it if the stream moved on. */
    private void fill() throws IOException {
        int wanted = shardOf(position);
        if (wanted != shard || channel == null) {
            closeShard();
            shard = wanted;
            channel = FileChannel.open(directory.resolve(index.shards().get(shard).file()), StandardOpenOption.READ);
            channel.position((position - shardStarts[shard]) * index.bytesPerToken());
        }
        buffer.clear();
        long left = (shardStarts[shard + 1] - position) * index.bytesPerToken();
        if (left < buffer.capacity()) {
            buffer.limit((int) left);
        }
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new IOException(directory.resolve(index.shards().get(shard).file()) + ": ended early");
            }
        }
        buffer.flip();
    }

    private int shardOf(long tokenPosition) {
        int low = 0;
        int high = index.shards().size() - 1;
        while (low < high) {
            int mid = (low + high + 1) >>> 1;
            if (shardStarts[mid] <= tokenPosition) {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        return low;
    }

    private void closeShard() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
        buffer.clear().limit(0);
    }

    @Override
    public void close() throws IOException {
        closeShard();
    }
}
