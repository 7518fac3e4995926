package dev.lmforge.activities.data;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.Set;

/**
 * Exact deduplication: two documents are copies when the SHA-256 of their normal form
 * ({@link Shingler#normalize}) agrees. {@link #firstSeen} keeps 128 bits of each digest seen in one process;
 * {@link #digest} alone is what the sharded pipeline shuffles (see {@link ShuffleDeduplication}).
 */
public final class ExactDeduplicator {

    /** The first 128 bits of a SHA-256 digest. */
    public record Digest(long high, long low) {
    }

    private final MessageDigest sha256;
    private final Set<Digest> seen = new HashSet<>();

    public ExactDeduplicator() {
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }

    /** The digest of already normalised text. */
    public Digest digest(String normalized) {
        ByteBuffer d = ByteBuffer.wrap(sha256.digest(normalized.getBytes(StandardCharsets.UTF_8)));
        return new Digest(d.getLong(), d.getLong());
    }

    /** True the first time this text (up to normalisation) is offered, false for every later copy. */
    public boolean firstSeen(String text) {
        return seen.add(digest(Shingler.normalize(text)));
    }

    /** How many distinct texts {@link #firstSeen} has kept. */
    public int distinct() {
        return seen.size();
    }
}
