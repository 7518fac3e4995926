package dev.lmforge.activities.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lmforge align}: generated data validates; a bad line fails naming file and line; bad usage exits 2. */
class AlignCommandTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... words) throws Exception {
        return new AlignCommand().run(Args.parse(List.of(words)), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void generatedDataValidates() throws Exception {
        assertEquals(0, run("generate-data", "--out", dir.toString()));
        out.reset();
        assertEquals(0, run("validate", "--sft", dir.resolve("sft.jsonl").toString(),
                "--dpo", dir.resolve("preferences.jsonl").toString()));
        assertEquals("ok " + dir.resolve("sft.jsonl") + ": 96 SFT conversations, 64 conversational\n"
                + "ok " + dir.resolve("preferences.jsonl") + ": 64 preference pairs\n", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aBadLineFailsNamingFileAndLine() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.jsonl"), "{\"prompt\":\"p\",\"chosen\":\"a\"}\n");
        assertEquals(1, run("validate", "--dpo", bad.toString()));
        assertEquals(bad + ":1: field 'rejected' is missing\n", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void badUsageIsAUsageError() {
        assertThrows(Args.UsageException.class, () -> run("validate"));
        assertThrows(Args.UsageException.class, () -> run("train"));
        assertThrows(Args.UsageException.class, () -> run("generate-data", "--out", "x", "--seed", "1"));
    }
}
