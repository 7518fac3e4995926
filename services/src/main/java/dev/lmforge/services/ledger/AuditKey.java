package dev.lmforge.services.ledger;

import dev.lmforge.services.artifacts.Digests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The secret that keys the audit log's hash chain (HMAC-SHA256). It lives outside PostgreSQL, so someone who
 * can rewrite the table cannot compute hashes that verify. It comes from {@code LMFORGE_AUDIT_KEY} (base64 of at
 * least 32 bytes) or else from the file {@code audit-key} under the data folder, created with mode 600 on first
 * start. Losing it means the chain can no longer be verified.
 */
public final class AuditKey {

    /** The file under the data folder that holds the key when {@code LMFORGE_AUDIT_KEY} is not set. */
    public static final String FILE_NAME = "audit-key";
    private static final int MIN_BYTES = 32;

    private final byte[] secret;
    private final String id;

    private AuditKey(byte[] secret) {
        if (secret.length < MIN_BYTES) {
            throw new IllegalArgumentException("the audit key must be at least " + MIN_BYTES + " bytes, got " + secret.length);
        }
        this.secret = secret.clone();
        // A fingerprint that names the key in anchors without revealing it, so a wrong key is told from an edit.
        this.id = hmac("lmforge audit key id").substring(0, 16);
    }

    /** A key from its raw bytes. */
    public static AuditKey of(byte[] secret) {
        return new AuditKey(secret);
    }

    /**
     * The key from {@code base64} when given (the value of {@code LMFORGE_AUDIT_KEY}), else from
     * {@code dataDir/audit-key}, which is created (mode 600, 32 random bytes) if it does not exist.
     */
    public static AuditKey load(String base64, Path dataDir) {
        if (base64 != null && !base64.isBlank()) {
            return new AuditKey(decode(base64.strip(), "LMFORGE_AUDIT_KEY"));
        }
        Path file = dataDir.resolve(FILE_NAME);
        try {
            if (!Files.exists(file)) {
                create(file);
            }
            return new AuditKey(decode(Files.readString(file, StandardCharsets.US_ASCII).strip(), file.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException("reading the audit key " + file + ": " + e.getMessage(), e);
        }
    }

    private static void create(Path file) throws IOException {
        byte[] secret = new byte[MIN_BYTES];
        new SecureRandom().nextBytes(secret);
        Files.createDirectories(file.toAbsolutePath().getParent());
        try {
            // Created with its final mode, so the key is never readable by others, not even for a moment.
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (FileAlreadyExistsException raced) {
            return;
        }
        Files.writeString(file, Base64.getEncoder().encodeToString(secret) + "\n", StandardCharsets.US_ASCII);
    }

    private static byte[] decode(String base64, String source) {
        try {
            return Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + " is not base64: " + e.getMessage(), e);
        }
    }

    /** A short fingerprint of the key (itself an HMAC, so it reveals nothing of the key). */
    public String id() {
        return id;
    }

    /** HMAC-SHA256 of {@code text} (UTF-8) under this key, in hex. */
    public String hmac(String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return Digests.hex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
