package dev.lmforge.activities.text;

import dev.lmforge.activities.AttemptCaps;
import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.ReadBudget;
import dev.lmforge.activities.data.DataConfig;
import dev.lmforge.activities.data.JsonlWriter;
import com.github.luben.zstd.ZstdOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CorpusReaderTest {

    @TempDir
    Path dir;

    private final CorpusReader reader = new CorpusReader(DataConfig.defaults().reading());

    private record Read(List<Document> docs, List<Long> lines, ReadStats stats) {
    }

    private Read read(Path file) throws IOException {
        List<Document> docs = new ArrayList<>();
        List<Long> lines = new ArrayList<>();
        ReadStats stats = reader.read(file, (doc, line) -> {
            docs.add(doc);
            lines.add(line);
        });
        return new Read(docs, lines, stats);
    }

    private static String reasons(ReadStats stats) {
        return String.join("\n", stats.errors().stream().map(e -> e.line() + " " + e.reason()).toList());
    }

    @Test
    void jsonlKeepsOptionalFieldsAsMetadataAndFillsDefaults() throws IOException {
        Path file = dir.resolve("crawl-7.jsonl");
        Files.writeString(file, """
                {"id":"x","text":"hello","dump":"d1","domain":"web","lang":"en","url":"https://a","score":0.5}
                {"text":"bonjour"}
                """);
        Read r = read(file);
        assertEquals(2, r.stats().records());
        Document x = r.docs().get(0);
        assertEquals(List.of("x", "hello", "d1", "web", "en"), List.of(x.id(), x.text(), x.dump(), x.domain(), x.lang()));
        assertEquals(List.of("url", "score"), List.copyOf(x.metadata().keySet()));
        assertTrue(JsonlWriter.toJson(x).endsWith("\"url\":\"https://a\",\"score\":0.5}"), JsonlWriter.toJson(x));
        assertEquals(5 + 7, r.stats().bytes(), "UTF-8 bytes of the texts");
        assertEquals("Débian 软件 😀".getBytes(StandardCharsets.UTF_8).length,
                new Document("u", "Débian 软件 😀", "", "", "", Map.of()).textBytes());
        Document y = r.docs().get(1);
        assertEquals(List.of("crawl-7.jsonl:2", "crawl-7", ""), List.of(y.id(), y.dump(), y.domain()));
    }

    @Test
    void defaultsFromTheSourceFillOnlyMissingFields() throws IOException {
        Path file = Files.writeString(dir.resolve("part.jsonl"), "{\"text\":\"a\",\"dump\":\"own\"}\n{\"text\":\"b\",\"lang\":\"zh\"}\n");
        List<Document> docs = new ArrayList<>();
        new CorpusReader(DataConfig.defaults().reading(), new CorpusReader.Defaults("2024-05", "news", "en"))
                .read(file, (doc, line) -> docs.add(doc));
        assertEquals(List.of("own", "news", "en"), List.of(docs.get(0).dump(), docs.get(0).domain(), docs.get(0).lang()));
        assertEquals(List.of("2024-05", "news", "zh"), List.of(docs.get(1).dump(), docs.get(1).domain(), docs.get(1).lang()));
    }

    @Test
    void badRecordsAreCountedWithFileAndLineAndReadingGoesOn() throws IOException {
        Path file = dir.resolve("bad.jsonl");
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write("""
                    {"text":"one"}
                    {"text": "unfinished
                    [1, 2]
                    {"id":"no text"}

                    {"text":"   "}
                    """.getBytes(StandardCharsets.UTF_8));
            out.write(new byte[]{'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xC3, 0x28, '"', '}', '\n'});
            out.write("{\"text\":\"two\",\"dump\":{\"nested\":1}}\n{\"text\":\"three\"}".getBytes(StandardCharsets.UTF_8));
        }
        Read r = read(file);
        assertEquals(List.of("one", "three"), r.docs().stream().map(Document::text).toList());
        assertEquals(List.of(1L, 9L), r.lines());
        assertEquals(6, r.stats().errorCount());
        String reasons = reasons(r.stats());
        assertTrue(reasons.startsWith("2 malformed JSON"), reasons);
        assertTrue(reasons.contains("3 malformed JSON: the record is not an object"), reasons);
        assertTrue(reasons.contains("4 bad record: missing string field 'text'"), reasons);
        assertTrue(reasons.contains("6 empty document"), reasons);
        assertTrue(reasons.contains("7 invalid UTF-8: bad byte sequence at offset 9"), reasons);
        assertTrue(reasons.contains("8 bad record: field 'dump' must be a string"), reasons);
        assertEquals(file.toString(), r.stats().errors().get(0).file());
        TooManyInputErrorsException e = assertThrows(TooManyInputErrorsException.class, () -> r.stats().checkErrorRatio(0.5));
        assertTrue(e.getMessage().startsWith("6 of 8 input records (75.0 %) could not be read, above the limit of 50.0 %; first: "
                + file + ":2: malformed JSON"), e.getMessage());
        r.stats().checkErrorRatio(0.8);
    }

    @Test
    void aFiftyMegabyteLineIsSkippedAndTheNextLineIsRead() throws IOException {
        Path file = dir.resolve("huge.jsonl");
        byte[] filler = new byte[50 << 20];
        Arrays.fill(filler, (byte) 'a');
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write("{\"text\":\"".getBytes(StandardCharsets.UTF_8));
            out.write(filler);
            out.write("\"}\n{\"text\":\"after\"}\n".getBytes(StandardCharsets.UTF_8));
        }
        Read r = read(file);
        assertEquals(List.of("after"), r.docs().stream().map(Document::text).toList());
        assertEquals(List.of(2L), r.lines());
        assertEquals("1 document too large: more than 8388608 bytes", reasons(r.stats()));
    }

    @Test
    void readsGzipZstdAndPlainText() throws IOException {
        String jsonl = "{\"text\":\"alpha\"}\n{\"text\":\"beta\"}\n";
        Path gz = dir.resolve("a.jsonl.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(jsonl.getBytes(StandardCharsets.UTF_8));
        }
        Path zst = dir.resolve("b.ndjson.zst");
        try (OutputStream out = new ZstdOutputStream(Files.newOutputStream(zst))) {
            out.write(jsonl.getBytes(StandardCharsets.UTF_8));
        }
        Path txt = dir.resolve("notes.txt");
        Files.writeString(txt, "line one\nline two\n");
        assertEquals(List.of("alpha", "beta"), read(gz).docs().stream().map(Document::text).toList());
        assertEquals(List.of("alpha", "beta"), read(zst).docs().stream().map(Document::text).toList());
        Document note = read(txt).docs().get(0);
        assertEquals(List.of("notes.txt", "line one\nline two\n", "notes"), List.of(note.id(), note.text(), note.dump()));
        assertEquals(List.of(gz, zst, txt), CorpusReader.expand(List.of(dir)), "a folder gives its corpus files, sorted");
    }

    @Test
    void missingUnknownTruncatedAndEmptyFilesAreErrorsNotCrashes() throws IOException {
        assertEquals("0 missing file", reasons(read(dir.resolve("absent.jsonl")).stats()));
        Path csv = Files.writeString(dir.resolve("table.csv"), "a,b\n");
        assertTrue(reasons(read(csv).stats()).startsWith("0 unknown format"));
        Path empty = Files.writeString(dir.resolve("empty.txt"), "");
        assertEquals("1 empty document", reasons(read(empty).stats()));
        Path gz = dir.resolve("cut.jsonl.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            for (int i = 0; i < 2000; i++) {
                out.write(("{\"text\":\"document " + i + " " + "x".repeat(i % 97) + "\"}\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        byte[] whole = Files.readAllBytes(gz);
        Files.write(gz, Arrays.copyOf(whole, whole.length / 2));
        Read r = read(gz);
        assertEquals(1, r.stats().errorCount());
        assertTrue(r.stats().errors().get(0).reason().startsWith("read failed"), reasons(r.stats()));
        assertEquals(r.stats().records() + 1, r.stats().errors().get(0).line(), "the error names the line it stopped at");
    }

    /** Lines that compress a thousandfold: a 3 MB gzip of 1 GB, in small. */
    private Path gzipBomb(String name, long expandedBytes) throws IOException {
        Path file = dir.resolve(name);
        byte[] line = "{\"text\": \"the same words again and again and again\"}\n".getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file), 1 << 16)) {
            for (long written = 0; written < expandedBytes; written += line.length) {
                out.write(line);
            }
        }
        return file;
    }

    @Test
    void aCompressionBombStopsAtTheExpansionRatioNamingTheCap() throws IOException {
        Path bomb = gzipBomb("bomb.jsonl.gz", 200L << 20);
        long stored = Files.size(bomb);
        assertTrue(stored < (1 << 20), "the bomb is small on disk: " + stored);
        CorpusReader capped = new CorpusReader(DataConfig.defaults().reading(), CorpusReader.Defaults.NONE,
                new ReadBudget(new AttemptCaps(Long.MAX_VALUE, 100, Long.MAX_VALUE)));
        long[] seen = new long[1];
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> capped.read(bomb, (doc, line) -> seen[0] += doc.textBytes()));
        assertTrue(e.getMessage().startsWith("bomb.jsonl.gz: expands more than 100 times"), e.getMessage());
        assertTrue(e.getMessage().contains("lmforge.limits.expansion-ratio"), e.getMessage());
        assertTrue(seen[0] <= Math.max(AttemptCaps.RATIO_GRACE_BYTES, 100 * stored), "stopped at the cap, not at 200 MB: " + seen[0]);
    }

    @Test
    void aLinesBombAndTooManyDocumentsStopAtTheirCapsAcrossFiles() throws IOException {
        // One line of 40 MB without a newline: memory stays at one capped record, the expanded-bytes cap ends it.
        Path line = dir.resolve("one-line.jsonl");
        try (OutputStream out = Files.newOutputStream(line)) {
            byte[] chunk = new byte[1 << 20];
            Arrays.fill(chunk, (byte) 'x');
            for (int i = 0; i < 40; i++) {
                out.write(chunk);
            }
        }
        ReadBudget budget = new ReadBudget(new AttemptCaps(32L << 20, 100, 3));
        CorpusReader capped = new CorpusReader(DataConfig.defaults().reading(), CorpusReader.Defaults.NONE, budget);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> capped.read(line, (doc, n) -> { }));
        assertTrue(e.getMessage().contains("more than its cap of " + (32L << 20) + " bytes after decompression"),
                e.getMessage());
        // The documents cap counts over every file of the attempt.
        Path two = Files.writeString(dir.resolve("two.jsonl"), "{\"text\":\"a\"}\n{\"text\":\"b\"}\n");
        CorpusReader counted = new CorpusReader(DataConfig.defaults().reading(), CorpusReader.Defaults.NONE,
                new ReadBudget(new AttemptCaps(Long.MAX_VALUE, 100, 3)));
        counted.read(two, (doc, n) -> { });
        e = assertThrows(InvalidInputException.class, () -> counted.read(two, (doc, n) -> { }));
        assertTrue(e.getMessage().contains("more than its cap of 3 documents"), e.getMessage());
    }

    /** A cancelled data step's heartbeat interrupts its thread; reading stops at the next line, not at the end. */
    @Test
    void anInterruptedReaderStopsAtTheNextLine() throws IOException {
        Path file = Files.writeString(dir.resolve("many.jsonl"), "{\"text\":\"a\"}\n".repeat(1000));
        List<Long> seen = new ArrayList<>();
        try {
            assertThrows(java.util.concurrent.CancellationException.class, () -> reader.read(file, (doc, line) -> {
                seen.add(line);
                if (line == 10) {
                    Thread.currentThread().interrupt();
                }
            }));
        } finally {
            Thread.interrupted();
        }
        assertEquals(10, seen.size());
    }
}
