package dev.lmforge.services.artifacts;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What an object of the store is, as S3 tools show it: its content type and the {@code x-amz-meta-lmforge-*} user
 * metadata (kind, producing run and stage; the digest is added where the store knows it). A stage says what it
 * knows; {@code runId} and {@code stage} may be null (a bench, a test, an upload outside a run).
 *
 * @param kind        the artifact kind ({@code checkpoint}, {@code corpus-part}, {@code band-file}, ...)
 * @param runId       the run that wrote it, or null
 * @param stage       the stage that wrote it, or null
 * @param contentType its MIME type
 */
public record ObjectDescription(String kind, String runId, String stage, String contentType) {

    /** Headers of S3 user metadata start with this; the MinIO client adds it to the names it is given. */
    static final String USER_METADATA = "x-amz-meta-";
    /** A metadata value is cut to this many characters once encoded: S3 allows 2 KB of user metadata in all. */
    static final int MAX_VALUE = 256;
    private static final String OCTET_STREAM = "application/octet-stream";
    private static final Pattern MIME_TYPE = Pattern.compile(
            "[a-z0-9][a-z0-9.+-]{0,63}/[a-z0-9][a-z0-9.+-]{0,63}(; ?[a-z0-9-]{1,32}=[A-Za-z0-9.-]{1,32})?");

    /** The content type and file-name extension of an artifact kind, or of a file by its name. */
    public record FileType(String contentType, String extension) {
    }

    private static final FileType JSON = new FileType("application/json", ".json");
    private static final FileType JSON_LINES = new FileType("application/x-ndjson", ".jsonl");
    private static final FileType TEXT = new FileType("text/plain; charset=utf-8", ".txt");
    private static final FileType ZIP = new FileType("application/zip", ".zip");
    private static final FileType GZIP = new FileType("application/gzip", ".gz");
    private static final FileType ZSTD = new FileType("application/zstd", ".zst");
    private static final FileType BINARY = new FileType(OCTET_STREAM, ".bin");
    /** A kind whose bytes could be anything (a raw dump is whatever file it was): no extension is guessed. */
    private static final FileType UNKNOWN = new FileType(OCTET_STREAM, "");

    /** The kinds the stages write, by what their bytes are. */
    private static final Map<String, FileType> KINDS = Map.ofEntries(
            Map.entry("plan", JSON), Map.entry("scaling-fit", JSON), Map.entry("corpus", JSON),
            Map.entry("data-report", JSON), Map.entry("duplicate-clusters", JSON), Map.entry("quality-stats", JSON),
            Map.entry("tokenizer", JSON), Map.entry("tokens", JSON), Map.entry("evaluation", JSON),
            Map.entry("alignment-report", JSON),
            Map.entry("corpus-part", JSON_LINES), Map.entry("filtered-shard", JSON_LINES),
            Map.entry("sft-data", JSON_LINES), Map.entry("preference-data", JSON_LINES),
            Map.entry("held-out-text", JSON_LINES),
            Map.entry("checkpoint", ZIP), Map.entry("model", ZIP),
            Map.entry("token-shard", BINARY), Map.entry("band-file", BINARY), Map.entry("pair-file", BINARY),
            Map.entry("removal-list", BINARY));

    /** The type of an artifact kind; a kind not listed is opaque bytes with no extension. */
    public static FileType typeOf(String kind) {
        return kind == null ? UNKNOWN : KINDS.getOrDefault(kind, UNKNOWN);
    }

    /** The type of a file by the end of its name ({@code .jsonl.gz} is gzip); empty-handed, {@code fallback}. */
    public static FileType typeOfFile(String name, FileType fallback) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith(".gz")) {
            return GZIP;
        }
        if (n.endsWith(".zst")) {
            return ZSTD;
        }
        if (n.endsWith(".jsonl")) {
            return JSON_LINES;
        }
        if (n.endsWith(".json")) {
            return JSON;
        }
        if (n.endsWith(".txt")) {
            return TEXT;
        }
        if (n.endsWith(".zip")) {
            return ZIP;
        }
        return fallback;
    }

    /** An object of {@code kind} that stage {@code stage} of run {@code runId} wrote, typed by its kind. */
    public static ObjectDescription of(String kind, String runId, String stage) {
        return new ObjectDescription(kind, runId, stage, typeOf(kind).contentType());
    }

    /**
     * Like {@link #of}, typed by the name of the file it was read from where that says more than the kind (a raw
     * dump's {@code .jsonl.gz}).
     */
    public static ObjectDescription ofFile(String kind, String runId, String stage, String fileName) {
        return new ObjectDescription(kind, runId, stage, typeOfFile(fileName, typeOf(kind)).contentType());
    }

    /** Bytes that nothing describes: typed as opaque, no metadata. */
    public static ObjectDescription opaque() {
        return new ObjectDescription(null, null, null, OCTET_STREAM);
    }

    /**
     * The user metadata, names without the {@code x-amz-meta-} prefix: the fields that are known and {@code digest}
     * if not null, each value made safe for an HTTP header ({@link #headerSafe}).
     */
    Map<String, String> userMetadata(String digest) {
        Map<String, String> metadata = new LinkedHashMap<>();
        put(metadata, "lmforge-kind", kind);
        put(metadata, "lmforge-run", runId);
        put(metadata, "lmforge-stage", stage);
        put(metadata, "lmforge-digest", digest == null ? null : "sha256:" + digest);
        return metadata;
    }

    /** The content type if it is a plain {@code type/subtype[; name=value]}; anything else is opaque bytes. */
    String safeContentType() {
        return contentType != null && MIME_TYPE.matcher(contentType).matches() ? contentType : OCTET_STREAM;
    }

    private static void put(Map<String, String> metadata, String name, String value) {
        if (value != null && !value.isEmpty()) {
            metadata.put(name, headerSafe(value));
        }
    }

    /**
     * A value that any HTTP header and S3 store accept unchanged: printable ASCII but '%' stays itself, and every
     * other byte of its UTF-8 (control characters, line breaks, non-ASCII) becomes %XX, so a hostile kind or run
     * id cannot add a header or break the signature; cut to {@link #MAX_VALUE} characters at a whole escape.
     */
    static String headerSafe(String value) {
        StringBuilder out = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            String piece = c >= 0x20 && c < 0x7f && c != '%' ? String.valueOf((char) c) : String.format("%%%02X", c);
            if (out.length() + piece.length() > MAX_VALUE) {
                break;
            }
            out.append(piece);
        }
        return out.toString().strip();
    }
}
