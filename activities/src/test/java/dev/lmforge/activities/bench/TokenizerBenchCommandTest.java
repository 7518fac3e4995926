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
 * The smoke run of {@code lmforge bench tokenizer --against hf}: the benchmark at its smallest size (two files of the
 * bundled sample corpus, a 300-id vocabulary, a tenth of a second per throughput figure), so it cannot rot
 * unnoticed. It checks that both sides ran (Hugging Face tokenizers installed and answering), that they gave the
 * same ids for every document, and that every figure is a finite positive number; the figures are not judged.
 */
class TokenizerBenchCommandTest {

    private static final Pattern PEER = Pattern.compile(
        "peer ([^:]+): lmforge (\\S+) (MB/s|s|MB), hf[ a-z_]* (\\S+) (MB/s|s|MB), ratio (\\S+)");

    @Test
    void smokeRunAgainstHuggingFaceAgreesAndPrintsEveryFigure() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        int exit = new TokenizerBenchCommand().run(Args.parse(List.of(
                "--corpus", "../samples/corpus/dump-2024-01.jsonl", "--corpus", "../samples/corpus/dump-2024-03.jsonl.zst",
                "--vocab-size", "300", "--seconds", "0.1", "--threads", "2", "--against", "hf")),
            new PrintStream(printed, true, StandardCharsets.UTF_8), System.err);
        String out = printed.toString(StandardCharsets.UTF_8);

        assertEquals(0, exit, out);
        assertTrue(out.matches("(?s).*train 300 ids: [0-9.]+ s.*"), out);
        assertTrue(out.matches("(?s).*compression: [0-9.]+ bytes per token.*"), out);
        assertTrue(out.matches("(?s).*ids: identical for all [1-9]\\d* documents.*"), out);
        assertTrue(out.matches("(?s).*merges: lmforge 38, hf 38; .*"), out);
        Matcher peer = PEER.matcher(out);
        int lines = 0;
        while (peer.find()) {
            lines++;
            for (int group : new int[] {2, 4, 6}) {
                double figure = Double.parseDouble(peer.group(group));
                assertTrue(Double.isFinite(figure) && figure > 0, "figure " + peer.group(group) + " in " + peer.group());
            }
        }
        assertEquals(6, lines, out);
    }
}
