package dev.lmforge.activities.tokenizer;

import dev.lmforge.activities.JsonSyntax;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.luben.zstd.ZstdInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * Streams the text of a corpus file without holding it: JSONL ({@code .jsonl}, {@code .json}; one document a
 * line, its {@code "text"} field) or plain text (anything else; the whole file is one document, delivered in
 * chunks of about a megabyte cut just after a line break, where {@link PreTokenizer} always splits, so chunks
 * encode exactly as the whole would). A {@code .gz} or {@code .zst} suffix decompresses first.
 */
public final class CorpusFileReader {

    /** Receives the texts of a file in order. */
    @FunctionalInterface
    public interface TextSink {
        /**
         * @param text         a whole document, or the next chunk of one
         * @param documentEnds whether this text is the last of its document
         */
        void accept(String text, boolean documentEnds) throws IOException;
    }

    private static final int CHUNK_CHARS = 1 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private CorpusFileReader() {
    }

    /** Sends every text of {@code file} to {@code sink}; an {@link IOException} names the file and line of bad input. */
    public static void read(Path file, TextSink sink) throws IOException {
        String name = file.getFileName().toString();
        String bare = name.replaceFirst("\\.(gz|zst)$", "");
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = name.endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16)
                 : name.endsWith(".zst") ? new ZstdInputStream(raw) : raw;
             Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            if (bare.endsWith(".jsonl") || bare.endsWith(".json")) {
                readJsonLines(file, new BufferedReader(reader, 1 << 16), sink);
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
        char[] buffer = new char[CHUNK_CHARS];
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
}
