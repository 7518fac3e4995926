package dev.lmforge.activities.text;

import dev.lmforge.activities.JsonSyntax;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code index.json} of a directory of token shards: a flat stream of token ids, the end-of-sentence id
 * after every document, cut into files of {@code tokens} ids each, little-endian {@code uint16} when the
 * vocabulary fits in 65,536 ids, else {@code uint32}.
 *
 * @param format          always {@link #FORMAT}
 * @param dtype           {@code uint16} or {@code uint32}
 * @param vocabularySize  the tokenizer's vocabulary size
 * @param eosId           the id appended after each document
 * @param documents       documents in all shards
 * @param tokens          tokens in all shards, the end-of-sentence ids included
 * @param shards          the files, in stream order
 */
public record TokenShardIndex(
    String format,
    String dtype,
    @JsonProperty("vocab_size") int vocabularySize,
    @JsonProperty("eos_id") int eosId,
    long documents,
    long tokens,
    List<Shard> shards) {

    /** The file name of the index inside a shard directory. */
    public static final String FILE_NAME = "index.json";
    /** The value of {@link #format}. */
    public static final String FORMAT = "lmforge-token-shards-v1";

    private static final ObjectMapper JSON = new ObjectMapper()
        .enable(SerializationFeature.INDENT_OUTPUT)
        .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES);

    /**
     * One shard file.
     *
     * @param file      its name inside the directory
     * @param tokens    ids it holds
     * @param documents documents that end in it
     */
    public record Shard(String file, long tokens, long documents) {
    }

    /** Bytes per token id: 2 for {@code uint16}, 4 for {@code uint32}. */
    public int bytesPerToken() {
        return dtype.equals("uint16") ? 2 : 4;
    }

    /** The dtype for a vocabulary of {@code vocabularySize} ids. */
    static String dtypeFor(int vocabularySize) {
        return vocabularySize <= 1 << 16 ? "uint16" : "uint32";
    }

    void write(Path directory) throws IOException {
        JSON.writeValue(directory.resolve(FILE_NAME).toFile(), this);
    }

    /**
     * Reads and checks the index of {@code directory}: totals must equal the sums over shards, and each shard
     * file must hold exactly its tokens. Errors name the file and the mismatch.
     */
    public static TokenShardIndex read(Path directory) throws IOException {
        Path file = directory.resolve(FILE_NAME);
        TokenShardIndex index;
        try {
            index = JSON.readValue(file.toFile(), TokenShardIndex.class);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IOException(file + ": not a token shard index" + JsonSyntax.at(e));
        }
        if (!FORMAT.equals(index.format())) {
            throw new IOException(file + ": format is '" + index.format() + "', expected '" + FORMAT + "'");
        }
        if (!dtypeFor(index.vocabularySize()).equals(index.dtype())) {
            throw new IOException(file + ": dtype '" + index.dtype() + "' does not fit vocab_size " + index.vocabularySize());
        }
        if (index.shards() == null) {
            throw new IOException(file + ": no shards list");
        }
        long tokens = 0;
        long documents = 0;
        for (Shard shard : index.shards()) {
            long expected = shard.tokens() * index.bytesPerToken();
            Path data = directory.resolve(shard.file());
            if (!Files.isRegularFile(data) || Files.size(data) != expected) {
                throw new IOException(data + ": expected " + expected + " bytes for " + shard.tokens() + " tokens, found "
                    + (Files.isRegularFile(data) ? Files.size(data) + " bytes" : "no file"));
            }
            tokens += shard.tokens();
            documents += shard.documents();
        }
        if (tokens != index.tokens() || documents != index.documents()) {
            throw new IOException(file + ": totals (" + index.tokens() + " tokens, " + index.documents()
                + " documents) differ from the shards' sums (" + tokens + ", " + documents + ")");
        }
        return index;
    }
}
