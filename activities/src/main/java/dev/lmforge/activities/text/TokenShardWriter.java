package dev.lmforge.activities.text;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a corpus as token shards plus {@code index.json} (see {@link TokenShardIndex}) into a local directory.
 * Documents may arrive in parts ({@link #append}, then {@link #endDocument}); a document can span shards, since
 * training reads one flat stream. Not thread-safe.
 */
public final class TokenShardWriter implements Closeable {

    private final Path directory;
    private final int vocabularySize;
    private final int eosId;
    private final long tokensPerShard;
    private final String dtype;
    private final int width;
    private final List<TokenShardIndex.Shard> shards = new ArrayList<>();
    private final byte[] buffer = new byte[1 << 16];
    private int buffered;
    private OutputStream out;
    private long shardTokens;
    private long shardDocuments;
    private long documents;
    private long tokens;
    private TokenShardIndex index;

    /**
     * @param directory      created if needed; shard files are named {@code shard-00000.bin} and on
     * @param vocabularySize ids must be below it; it picks the dtype
     * @param eosId          appended after each document
     * @param tokensPerShard ids per file (the last file may hold fewer)
     */
    public TokenShardWriter(Path directory, int vocabularySize, int eosId, long tokensPerShard) throws IOException {
        if (eosId < 0 || eosId >= vocabularySize) {
            throw new IllegalArgumentException("eos id " + eosId + " is outside the vocabulary of " + vocabularySize);
        }
        if (tokensPerShard < 1) {
            throw new IllegalArgumentException("tokens per shard must be positive, not " + tokensPerShard);
        }
        Files.createDirectories(directory);
        this.directory = directory;
        this.vocabularySize = vocabularySize;
        this.eosId = eosId;
        this.tokensPerShard = tokensPerShard;
        this.dtype = TokenShardIndex.dtypeFor(vocabularySize);
        this.width = dtype.equals("uint16") ? 2 : 4;
    }

    /** Writes one whole document and the end-of-sentence id after it. */
    public void writeDocument(int[] ids) throws IOException {
        append(ids);
        endDocument();
    }

    /** Writes the next part of the current document. */
    public void append(int[] ids) throws IOException {
        for (int id : ids) {
            if (id < 0 || id >= vocabularySize) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + vocabularySize);
            }
            put(id);
        }
    }

    /** Ends the current document: appends the end-of-sentence id and counts the document. */
    public void endDocument() throws IOException {
        checkOpen();
        documents++;
        shardDocuments++; // before the id: if it fills the shard, the document ends in that shard
        put(eosId);
    }

    /** Flushes the last shard and writes {@code index.json}; returns the index. Calling it again returns the same. */
    public TokenShardIndex finish() throws IOException {
        if (index == null) {
            if (out != null) {
                closeShard();
            }
            index = new TokenShardIndex(TokenShardIndex.FORMAT, dtype, vocabularySize, eosId, documents, tokens,
                List.copyOf(shards));
            index.write(directory);
        }
        return index;
    }

    /** {@link #finish}es. */
    @Override
    public void close() throws IOException {
        finish();
    }

    private void checkOpen() {
        if (index != null) {
            throw new IllegalStateException("the shard writer is finished");
        }
    }

    private void put(int id) throws IOException {
        checkOpen();
        if (out == null) {
            out = new BufferedOutputStream(Files.newOutputStream(directory.resolve(shardName(shards.size()))), 1 << 16);
        }
        if (buffered + width > buffer.length) {
            out.write(buffer, 0, buffered);
            buffered = 0;
        }
        buffer[buffered++] = (byte) id;
        buffer[buffered++] = (byte) (id >>> 8);
        if (width == 4) {
            buffer[buffered++] = (byte) (id >>> 16);
            buffer[buffered++] = (byte) (id >>> 24);
        }
        tokens++;
        if (++shardTokens == tokensPerShard) {
            closeShard();
        }
    }

    private void closeShard() throws IOException {
        out.write(buffer, 0, buffered);
        buffered = 0;
        out.close();
        out = null;
        shards.add(new TokenShardIndex.Shard(shardName(shards.size()), shardTokens, shardDocuments));
        shardTokens = 0;
        shardDocuments = 0;
    }

    private static String shardName(int number) {
        return String.format("shard-%05d.bin", number);
    }
}
