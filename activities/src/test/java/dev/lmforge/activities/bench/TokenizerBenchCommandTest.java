package dev.lmforge.activities.bench;

import dev.lmforge.activities.cli.Args;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The smoke run of {@code lmforge bench tokenizer}: the benchmark at its smallest size (the bundled sample corpus, a
 * 300-id vocabulary, a tenth of a second per throughput figure), so it cannot rot unnoticed. It checks only that the
 * benchmark runs to the end and prints every figure as a finite number; the figures themselves are not judged.
 */
class TokenizerBenchCommandTest {

    private static final Pattern ENCODE = Pattern.compile(
        "encode, \\d+ threads?: +lmforge +(\\S+) MB/s +Hugging Face +(\\S+) MB/s +ratio (\\S+)x");

    @Test
    void smokeRunPrintsEveryFigure() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        int exit = new TokenizerBenchCommand().run(Args.parse(List.of(
                "--corpus", "../samples/corpus/dump-2024-01.jsonl", "--corpus", "../samples/corpus/dump-2024-03.jsonl.zst",
                "--vocab-size", "300", "--seconds", "0.1", "--threads", "2")),
            new PrintStream(printed, true, StandardCharsets.UTF_8), System.err);
        String out = printed.toString(StandardCharsets.UTF_8);

        assertEquals(0, exit, out);
        assertTrue(out.matches("(?s).*train \\d+ ids: [0-9.]+ s.*"), out);
        assertTrue(out.matches("(?s).*compression: [0-9.]+ bytes per token.*"), out);
        assertTrue(out.matches("(?s).*documents where the ids differ: 0 of [1-9]\\d*.*"), out);
        Matcher encode = ENCODE.matcher(out);
        int lines = 0;
        while (encode.find()) {
            lines++;
            for (int group = 1; group <= 3; group++) {
                double figure = Double.parseDouble(encode.group(group));
                assertTrue(Double.isFinite(figure) && figure > 0, "figure " + encode.group(group) + " in " + encode.group());
            }
        }
        assertEquals(2, lines, out);
    }
}
