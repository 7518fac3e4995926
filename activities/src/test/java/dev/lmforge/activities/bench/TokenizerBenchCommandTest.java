package dev.lmforge.activities.bench;

import dev.lmforge.activities.cli.Args;
import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.text.TrainedTokenizers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The smoke run of {@code lmforge bench tokenizer --against hf}: the benchmark at its smallest size (two files of the
 * bundled sample corpus, a 300-id vocabulary, a tenth of a second per throughput figure), so it cannot rot
 * unnoticed. It checks that both sides ran (Hugging Face tokenizers installed and answering), that they gave the
 * same ids for every document, and that every figure is a finite positive number; the figures are not judged. It
 * also checks that a difference in the ids is reported by document and position, without the text past a prefix.
 */
class TokenizerBenchCommandTest {

    private static final Pattern PEER = Pattern.compile(
        "peer ([^:]+): lmforge (\\S+) (MB/CPU s|MB/s|CPU s|s|MB), hf[ a-z_]* (\\S+) (MB/CPU s|MB/s|CPU s|s|MB), ratio (\\S+)");

    @TempDir
    Path dir;

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

    @Test
    void firstMismatchNamesTheDocumentAndPositionWithAShortPrefixOnly() throws Exception {
        BpeTokenizer ours = TrainedTokenizers.mixedTextTokenizer();
        String secret = "x".repeat(60) + " the rest of this document must not be shown";
        List<String> documents = List.of("first document", "a second one\nwith a line break", secret);
        ByteBuffer ids = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (String d : documents) {
            int[] mine = ours.encodeWithSpecialTokens(d);
            ids.putInt(mine.length);
            for (int id : mine) {
                ids.putInt(id);
            }
        }
        Path file = dir.resolve("ids.bin");
        Files.write(file, Arrays.copyOf(ids.array(), ids.position()));
        assertNull(TokenizerBenchCommand.firstMismatch(ours, documents, file));

        int[] third = ours.encodeWithSpecialTokens(secret);
        int at = ids.position() - 4 * (third.length - 1);   // the third document's second id
        ids.putInt(at, third[1] + 1);
        Files.write(file, Arrays.copyOf(ids.array(), ids.position()));
        String mismatch = TokenizerBenchCommand.firstMismatch(ours, documents, file);
        assertTrue(mismatch.startsWith("document 2, token 1: lmforge " + third[1] + ", hf " + (third[1] + 1)), mismatch);
        assertFalse(mismatch.contains("must not be shown"), mismatch);

        Files.write(file, Arrays.copyOf(ids.array(), 4 + 4 * ours.encodeWithSpecialTokens(documents.get(0)).length));
        assertEquals("the peer's ids end before document 1", TokenizerBenchCommand.firstMismatch(ours, documents, file));
    }
}
