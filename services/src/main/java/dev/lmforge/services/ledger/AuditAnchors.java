package dev.lmforge.services.ledger;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.services.artifacts.ArtifactStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * Copies of the audit chain's head kept outside PostgreSQL, in the artifact store under a prefix of their own
 * ({@code audit-anchors/} by default). An anchor says "the log had event {@code id} with hash {@code hash}", so
 * a log that ends before it, or whose event {@code id} hashes otherwise, was cut or rewritten. Each anchor is
 * its own object and is never overwritten; its key counts down from {@link Long#MAX_VALUE}, so that S3's
 * ascending listing yields the newest first.
 */
public final class AuditAnchors {

    /** The default prefix of anchor objects in the artifact store's bucket. */
    public static final String DEFAULT_PREFIX = "audit-anchors/";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ArtifactStore store;
    private final String prefix;

    public AuditAnchors(ArtifactStore store, String prefix) {
        if (!prefix.endsWith("/")) {
            throw new IllegalArgumentException("an anchor prefix ends with '/', got '" + prefix + "'");
        }
        this.store = store;
        this.prefix = prefix;
    }

    /**
     * The chain's head at one moment: its newest event's id and hash, the last id hashed without a key (rows from
     * before keyed hashes; 0 if none), the key's fingerprint, when it was taken, and an HMAC over all of it.
     */
    public record Anchor(long id, String hash, long unkeyedThrough, String keyId, long atMicros, String mac) {

        static Anchor signed(long id, String hash, long unkeyedThrough, AuditKey key, long atMicros) {
            return new Anchor(id, hash, unkeyedThrough, key.id(), atMicros,
                    key.hmac(text(id, hash, unkeyedThrough, key.id(), atMicros)));
        }

        /** Whether {@code key} made this anchor (its fingerprint and MAC match). */
        boolean signedBy(AuditKey key) {
            return key.id().equals(keyId) && key.hmac(text(id, hash, unkeyedThrough, keyId, atMicros)).equals(mac);
        }

        private static String text(long id, String hash, long unkeyedThrough, String keyId, long atMicros) {
            return "anchor;" + id + ";" + hash + ";" + unkeyedThrough + ";" + keyId + ";" + atMicros;
        }
    }

    /** Stores {@code anchor} as a new object. */
    public void write(Anchor anchor) {
        try {
            store.putNamed(keyOf(anchor.id()), JSON.writeValueAsBytes(anchor));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The anchor with the highest event id, if any was written. */
    public Optional<Anchor> newest() {
        return store.firstKey(prefix).flatMap(store::readNamed).map(bytes -> {
            try {
                return JSON.readValue(bytes, Anchor.class);
            } catch (IOException e) {
                throw new UncheckedIOException("an audit anchor under " + prefix + " is not readable: " + e.getMessage(), e);
            }
        });
    }

    private String keyOf(long id) {
        return prefix + String.format("%019d", Long.MAX_VALUE - id) + ".json";
    }
}
