package dev.lmforge.activities.text;

import dev.lmforge.activities.JsonSyntax;
import dev.lmforge.activities.ReadBudget;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.luben.zstd.ZstdInputStream;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.stream.Stream;

/**
 * Streams documents out of local files: JSONL records ({@code .jsonl}, {@code .ndjson}, {@code .json}) or whole
 * plain-text files ({@code .txt}), each optionally compressed ({@code .gz}, {@code .zst}). Memory
 * stays bounded by one record, itself capped at {@link ReadingLimits#maxDocumentBytes()}. A bad record or
 * file never stops the reading: it is counted and reported with file and line in the returned {@link ReadStats}.
 */
public final class CorpusReader {

    /** Receives each good document with its 1-based line (1 for a plain-text file). */
    @FunctionalInterface
    public interface DocumentSink {
        void accept(Document document, long line) throws IOException;
    }

    /** Receives the texts of a file in order. */
    @FunctionalInterface
    public interface TextSink {
        /**
         * @param text         a whole document, or the next chunk of one
         * @param documentEnds whether this text is the last of its document
         */
        void accept(String text, boolean documentEnds) throws IOException;
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CHUNK = 1 << 16;
    private static final int TEXT_CHUNK_CHARS = 1 << 20;

    /**
     * Values for records that lack the field, e.g. from a lifecycle spec's corpus source; a {@code null} falls back
     * to the file's own default (the dump to the file's name, the domain and language to empty).
     */
    public record Defaults(String dump, String domain, String lang) {
        public static final Defaults NONE = new Defaults(null, null, null);
    }

    private final ReadingLimits limits;
    private final Defaults defaults;
    private final ReadBudget budget;

    public CorpusReader(ReadingLimits limits) {
        this(limits, Defaults.NONE);
    }

    public CorpusReader(ReadingLimits limits, Defaults defaults) {
        this(limits, defaults, ReadBudget.unlimited());
    }

    /** A reader whose bytes and documents count against {@code budget}: for sources a spec names. */
    public CorpusReader(ReadingLimits limits, Defaults defaults, ReadBudget budget) {
        this.limits = limits;
        this.defaults = defaults;
        this.budget = budget;
    }

    /** The files under each input, in order: a file as it is, a folder's readable files sorted by path. */
    public static List<Path> expand(List<Path> inputs) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path input : inputs) {
            if (Files.isDirectory(input)) {
                try (Stream<Path> walk = Files.walk(input)) {
                    walk.filter(Files::isRegularFile).filter(p -> format(p) != null).sorted().forEach(files::add);
                }
            } else {
                files.add(input);
            }
        }
        return files;
    }

    /** Whether a file (or object key) has a name this reader can read. */
    public static boolean readable(Path file) {
        return format(file) != null;
    }

    /** The dump a file's records belong to when they name none: its name without extensions. */
    public static String defaultDump(Path file) {
        String name = file.getFileName().toString();
        int dot = name.indexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    /** Reads one file, passing each good document to {@code sink}; what could not be read is in the stats. */
    public ReadStats read(Path file, DocumentSink sink) throws IOException {
        Tally tally = new Tally(file.toString());
        Format format = format(file);
        if (format == null) {
            tally.error(0, "unknown format: expected .jsonl, .ndjson, .json or .txt, optionally .gz or .zst");
            return tally.stats();
        }
        long line = 0;
        try (InputStream in = budget.meter(file.getFileName().toString(), open(file), Files.size(file))) {
            LineReader lines = new LineReader(in, limits.maxDocumentBytes(), format == Format.JSONL);
            while (lines.next()) {
                line++;
                if (Thread.currentThread().isInterrupted()) {
                    // A data step's heartbeat interrupts it when the attempt is cancelled or timed out: stop here,
                    // not at the end of the file (reading and writing streams never check on their own).
                    throw new CancellationException(file.getFileName() + ": reading stopped at line " + line
                            + ": the attempt was cancelled or has timed out");
                }
                if (lines.overflow) {
                    tally.error(line, "document too large: more than " + limits.maxDocumentBytes() + " bytes");
                } else if (lines.length > 0 || format == Format.TEXT) {
                    Document doc = parse(file, format, line, lines, tally);
                    if (doc != null) {
                        budget.document(file.getFileName().toString());
                        tally.records++;
                        tally.bytes += doc.textBytes();
                        try {
                            sink.accept(doc, line);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);   // the sink's failure, not the input's
                        }
                    }
                }
            }
            if (line == 0 && format == Format.TEXT) {
                tally.error(1, "empty document");
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } catch (NoSuchFileException e) {
            tally.error(0, "missing file");
        } catch (IOException e) {
            if (line == 0 && !Files.isReadable(file)) {
                tally.error(0, "unreadable file: " + e.getMessage());
            } else {
                tally.error(line + 1, "read failed: " + e.getMessage());
            }
        }
        return tally.stats();
    }

    private Document parse(Path file, Format format, long line, LineReader lines, Tally tally) {
        String text;
        try {
            text = decodeUtf8(lines.buffer, lines.length);
        } catch (CharacterCodingException e) {
            tally.error(line, "invalid UTF-8: " + e.getMessage());
            return null;
        }
        String where = file.getFileName() + ":" + line;
        String dump = defaults.dump() != null ? defaults.dump() : defaultDump(file);
        String domain = defaults.domain() != null ? defaults.domain() : "";
        String lang = defaults.lang() != null ? defaults.lang() : "";
        if (format == Format.TEXT) {
            return nonEmpty(new Document(file.getFileName().toString(), text, dump, domain, lang, Map.of()), line, tally);
        }
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            tally.error(line, "malformed JSON" + JsonSyntax.at(e));
            return null;
        }
        if (!node.isObject()) {
            tally.error(line, "malformed JSON: the record is not an object");
            return null;
        }
        JsonNode body = node.get("text");
        if (body == null || !body.isTextual()) {
            tally.error(line, "bad record: missing string field 'text'");
            return null;
        }
        Map<String, Object> metadata = new LinkedHashMap<>();
        String[] fields = {where, dump, domain, lang};   // id, dump, domain, lang
        String[] names = {"id", "dump", "domain", "lang"};
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            int known = List.of(names).indexOf(field.getKey());
            if (known >= 0) {
                if (!field.getValue().isValueNode() || field.getValue().isNull()) {
                    tally.error(line, "bad record: field '" + field.getKey() + "' must be a string");
                    return null;
                }
                fields[known] = field.getValue().asText();
            } else if (!field.getKey().equals("text")) {
                metadata.put(field.getKey(), field.getValue());
            }
        }
        return nonEmpty(new Document(fields[0], body.asText(), fields[1], fields[2], fields[3], metadata), line, tally);
    }

    private static Document nonEmpty(Document doc, long line, Tally tally) {
        if (doc.text().isBlank()) {
            tally.error(line, "empty document");
            return null;
        }
        return doc;
    }

    private static String decodeUtf8(byte[] bytes, int length) throws CharacterCodingException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, 0, length);
        try {
            return decoder.decode(in).toString();
        } catch (CharacterCodingException e) {
            throw new CharacterCodingException() {
                @Override
                public String getMessage() {
                    return "bad byte sequence at offset " + in.position();
                }
            };
        }
    }

    /**
     * Streams the text of a file for the tokenizer, without holding it and without {@link #read}'s limits: JSONL
     * (one document a line, its {@code "text"} field) or plain text (anything else; the whole file is one document,
     * delivered in chunks of about a megabyte cut just after a line break, where {@link PreTokenizer} always
     * splits, so chunks encode exactly as the whole would); compressed as {@link #open} reads. An
     * {@link IOException} names the file and line of bad input.
     */
    public static void readText(Path file, TextSink sink) throws IOException {
        try (Reader reader = new InputStreamReader(open(file), StandardCharsets.UTF_8)) {
            if (format(file) == Format.JSONL) {
                readJsonLines(file, new BufferedReader(reader, CHUNK), sink);
            } else {
                readPlainText(reader, sink);
            }
        }
    }

    private static void readJsonLines(Path file, BufferedReader reader, TextSink sink) throws IOException {
        long lineNumber = 0;
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            lineNumber++;
            if (line.isBlank()) {
                continue;
            }
            JsonNode record;
            try {
                record = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                throw new IOException(file + ":" + lineNumber + ": not valid JSON" + JsonSyntax.at(e));
            }
            JsonNode text = record.get("text");
            if (text == null || !text.isTextual()) {
                throw new IOException(file + ":" + lineNumber + ": no string field \"text\"");
            }
            sink.accept(text.asText(), true);
        }
    }

    private static void readPlainText(Reader reader, TextSink sink) throws IOException {
        char[] buffer = new char[TEXT_CHUNK_CHARS];
        int filled = 0;
        while (true) {
            int n = reader.read(buffer, filled, buffer.length - filled);
            if (n < 0) {
                sink.accept(new String(buffer, 0, filled), true);
                return;
            }
            filled += n;
            if (filled < buffer.length) {
                continue;
            }
            int cut = lastCut(buffer, filled);
            if (cut <= 0) {
                buffer = Arrays.copyOf(buffer, buffer.length * 2); // one very long line: read on to its end
                continue;
            }
            sink.accept(new String(buffer, 0, cut), false);
            System.arraycopy(buffer, cut, buffer, 0, filled - cut);
            filled -= cut;
        }
    }

    /** The last index just after a run of line breaks, or 0: the pre-tokenizer never joins across it. */
    private static int lastCut(char[] text, int length) {
        for (int i = length - 1; i > 0; i--) {
            boolean breakBefore = text[i - 1] == '\n' || text[i - 1] == '\r';
            if (breakBefore && text[i] != '\n' && text[i] != '\r') {
                return i;
            }
        }
        return 0;
    }

    private enum Format { JSONL, TEXT }

    private static Format format(Path file) {
        String name = file.getFileName().toString().toLowerCase();
        name = name.replaceFirst("\\.(gz|zst)$", "");
        if (name.endsWith(".jsonl") || name.endsWith(".ndjson") || name.endsWith(".json")) {
            return Format.JSONL;
        }
        return name.endsWith(".txt") ? Format.TEXT : null;
    }

    /** Opens a file, decompressing by its extension. */
    public static InputStream open(Path file) throws IOException {
        return decompressed(Files.newInputStream(file), file);
    }

    /**
     * The content of {@code in}, a stream over the file {@code file} opened some other way (e.g. confined to the
     * source roots), decompressed by the file's extension; closes {@code in} if that fails.
     */
    public static InputStream decompressed(InputStream in, Path file) throws IOException {
        InputStream raw = new BufferedInputStream(in, CHUNK);
        String name = file.getFileName().toString().toLowerCase();
        try {
            if (name.endsWith(".gz")) {
                return new java.util.zip.GZIPInputStream(raw, CHUNK);
            }
            if (name.endsWith(".zst")) {
                return new BufferedInputStream(new ZstdInputStream(raw), CHUNK);
            }
            return raw;
        } catch (IOException e) {
            raw.close();
            throw e;
        }
    }

    /**
     * Splits a stream at newlines (or, for plain text, not at all) into a reused buffer; a line longer than the
     * cap is consumed to its end but not kept, and flagged.
     */
    private static final class LineReader {
        private final InputStream in;
        private final long cap;
        private final boolean splitLines;
        private final byte[] chunk = new byte[CHUNK];
        private int pos;
        private int limit;
        private boolean eof;
        byte[] buffer = new byte[1024];
        int length;
        boolean overflow;

        LineReader(InputStream in, long cap, boolean splitLines) {
            this.in = in;
            this.cap = cap;
            this.splitLines = splitLines;
        }

        /** Reads the next line; false at the end of the stream. */
        boolean next() throws IOException {
            length = 0;
            overflow = false;
            boolean any = false;
            while (true) {
                if (pos == limit) {
                    if (eof || (limit = in.read(chunk)) < 0) {
                        eof = true;
                        limit = pos = 0;
                        return any;
                    }
                    pos = 0;
                }
                any = true;
                int end = pos;
                while (end < limit && (!splitLines || chunk[end] != '\n')) {
                    end++;
                }
                append(pos, end);
                if (end < limit) {       // found the newline
                    pos = end + 1;
                    if (length > 0 && buffer[length - 1] == '\r') {
                        length--;
                    }
                    return true;
                }
                pos = limit;
            }
        }

        private void append(int from, int to) {
            int n = to - from;
            if (overflow || (long) length + n > cap) {
                overflow = true;
                length = 0;
                return;
            }
            if (length + n > buffer.length) {
                buffer = java.util.Arrays.copyOf(buffer, (int) Math.min(cap, Math.max(length + n, 2L * buffer.length)));
            }
            System.arraycopy(chunk, from, buffer, length, n);
            length += n;
        }
    }

    /** Counts for one file. */
    private static final class Tally {
        private final String file;
        private long records;
        private long bytes;
        private long errorCount;
        private final Map<String, Long> kinds = new TreeMap<>();
        private final List<ReadError> errors = new ArrayList<>();

        Tally(String file) {
            this.file = file;
        }

        void error(long line, String reason) {
            errorCount++;
            kinds.merge(reason.split(":", 2)[0], 1L, Long::sum);
            if (errors.size() < ReadStats.KEPT_ERRORS) {
                errors.add(new ReadError(file, line, reason));
            }
        }

        ReadStats stats() {
            return new ReadStats(records, bytes, errorCount, kinds, errors);
        }
    }
}
