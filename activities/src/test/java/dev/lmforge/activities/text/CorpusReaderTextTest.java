package dev.lmforge.activities.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusReaderTextTest {

    private static final String JSONL = "{\"id\": 1, \"text\": \"first\\ndocument\"}\n\n{\"text\": \"中文 second\"}\n";

    @TempDir
    Path dir;

    @Test
    void readsJsonLinesPlainGzipAndZstd() throws IOException {
        Path plain = Files.writeString(dir.resolve("a.jsonl"), JSONL);
        Path gzip = dir.resolve("b.jsonl.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gzip))) {
            out.write(JSONL.getBytes(StandardCharsets.UTF_8));
        }
        Path zstd = dir.resolve("c.jsonl.zst");
        try (OutputStream out = new ZstdOutputStream(Files.newOutputStream(zstd))) {
            out.write(JSONL.getBytes(StandardCharsets.UTF_8));
        }
        for (Path file : List.of(plain, gzip, zstd)) {
            List<String> texts = new ArrayList<>();
            CorpusReader.readText(file, (text, ends) -> {
                assertTrue(ends, "a JSONL record is a whole document");
                texts.add(text);
            });
            assertEquals(List.of("first\ndocument", "中文 second"), texts, file.toString());
        }
    }

    @Test
    void plainTextComesInChunksThatEncodeAsTheWholeDoes() throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < 3_000_000; i++) {
            text.append("line ").append(i).append(i % 7 == 0 ? "\r\n\n" : "\n").append("中文".repeat(i % 5)).append(' ');
        }
        Path file = Files.writeString(dir.resolve("book.txt"), text);
        List<String> chunks = new ArrayList<>();
        List<Boolean> ends = new ArrayList<>();
        CorpusReader.readText(file, (chunk, documentEnds) -> {
            chunks.add(chunk);
            ends.add(documentEnds);
        });
        assertTrue(chunks.size() > 1, chunks.size() + " chunks");
        assertEquals(text.toString(), String.join("", chunks));
        assertEquals(chunks.size() - 1, ends.indexOf(true), "only the last chunk ends the document");
        BpeTokenizer tokenizer = TrainedTokenizers.mixedTextTokenizer();
        int[] whole = tokenizer.encode(text.toString());
        IntList joined = new IntList(whole.length);
        for (String chunk : chunks) {
            int[] ids = tokenizer.encode(chunk);
            joined.addAll(ids, 0, ids.length);
        }
        assertArrayEquals(whole, joined.toArray());
    }

    @Test
    void badRecordsNameTheFileAndLine() throws IOException {
        Path broken = Files.writeString(dir.resolve("broken.jsonl"), "{\"text\": \"ok\"}\n{\"text\": \n");
        var notJson = assertThrows(IOException.class, () -> CorpusReader.readText(broken, (t, e) -> { }));
        assertTrue(notJson.getMessage().startsWith(broken + ":2: not valid JSON"), notJson.getMessage());
        Path noText = Files.writeString(dir.resolve("notext.jsonl"), "{\"text\": \"ok\"}\n{\"body\": \"x\"}\n");
        var missing = assertThrows(IOException.class, () -> CorpusReader.readText(noText, (t, e) -> { }));
        assertEquals(noText + ":2: no string field \"text\"", missing.getMessage());
    }
}
