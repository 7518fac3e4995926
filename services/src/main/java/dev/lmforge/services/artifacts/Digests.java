package dev.lmforge.services.artifacts;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 digests as lower-case hex, the form artifact ids take. */
public final class Digests {

    private static final HexFormat HEX = HexFormat.of();

    private Digests() {
    }

    public static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    public static String hex(byte[] digest) {
        return HEX.formatHex(digest);
    }

    public static String sha256(byte[] bytes) {
        return hex(newSha256().digest(bytes));
    }

    public static String sha256(String text) {
        return sha256(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Hashes a file by streaming it. */
    public static String sha256(Path file) {
        return hash(file).digest();
    }

    /** A file's digest and the number of bytes that were hashed. */
    public record Hashed(String digest, long bytes) {
    }

    /** Hashes a file by streaming it, counting the bytes read (a file's size can lie: {@code /proc}, a growing log). */
    public static Hashed hash(Path file) {
        MessageDigest sha = newSha256();
        byte[] buffer = new byte[1 << 20];
        long bytes = 0;
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha.update(buffer, 0, n);
                bytes += n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file + ": " + e.getMessage(), e);
        }
        return new Hashed(hex(sha.digest()), bytes);
    }

    /** Rejects anything that is not a 64-character lower-case hex digest, so it cannot reach a key. */
    public static String requireHex(String digest) {
        if (digest == null || !digest.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("not a SHA-256 digest: '" + digest + "' (64 lower-case hex characters)");
        }
        return digest;
    }
}
