package dev.lmforge.activities.data;

import dev.lmforge.activities.text.Document;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * Writes documents as JSONL ({@code id, text, dump, domain, lang}, then the metadata fields) to a temporary file
 * next to the target, which {@link #commit} renames into place: a failed or abandoned write leaves no half-written
 * output behind. It counts records and bytes and digests the file as it goes.
 */
public final class JsonlWriter implements Closeable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path target;
    private final Path temp;
    private final MessageDigest sha256;
    private final OutputStream out;
    private long records;
    private long bytes;
    private boolean committed;

    public JsonlWriter(Path target) throws IOException {
        this.target = target;
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        this.temp = Files.createTempFile(dir, "." + target.getFileName(), ".partial");
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
        this.out = new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(temp), 1 << 16), sha256);
    }

    /** The JSON line (without its newline) of a document. */
    public static String toJson(Document doc) throws IOException {
        ObjectNode row = JSON.createObjectNode();
        row.put("id", doc.id());
        row.put("text", doc.text());
        row.put("dump", doc.dump());
        row.put("domain", doc.domain());
        row.put("lang", doc.lang());
        for (Map.Entry<String, Object> field : doc.metadata().entrySet()) {
            row.set(field.getKey(), JSON.valueToTree(field.getValue()));
        }
        return JSON.writeValueAsString(row);
    }

    public void write(Document doc) throws IOException {
        byte[] line = (toJson(doc) + "\n").getBytes(StandardCharsets.UTF_8);
        out.write(line);
        records++;
        bytes += line.length;
    }

    /** Finishes the file and moves it to the target; returns its SHA-256 in hex. */
    public String commit() throws IOException {
        out.close();
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        committed = true;
        return HexFormat.of().formatHex(sha256.digest());
    }

    public long records() {
        return records;
    }

    public long bytes() {
        return bytes;
    }

    /** Discards the temporary file unless {@link #commit} ran. */
    @Override
    public void close() throws IOException {
        if (!committed) {
            out.close();
            Files.deleteIfExists(temp);
        }
    }
}
