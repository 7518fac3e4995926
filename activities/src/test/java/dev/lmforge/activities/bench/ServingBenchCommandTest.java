package dev.lmforge.activities.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lmforge.activities.cli.Args;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The smoke run of {@code lmforge bench serving}, so the benchmark cannot rot unnoticed: the tiny shape, a few
 * tokens. The transformers peer runs where the pinned Hugging Face venv is installed, else its skip line is printed.
 */
class ServingBenchCommandTest {

    private static final Pattern RATE = Pattern.compile("\\d+ tokens, [0-9.]+ tokens/s, ratio [0-9.]+");

    @Test
    void smokeRunPrintsEveryFigureLine() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        int exit = new ServingBenchCommand().run(Args.parse(List.of("--smoke", "--threads", "1")),
                new PrintStream(printed, true, StandardCharsets.UTF_8), System.err);
        String out = printed.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, out);
        List<String> lines = out.lines().toList();
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("in-process GreedyDecoder") && RATE.matcher(l).find()),
                out);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("inference endpoint") && RATE.matcher(l).find()), out);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("transformers") && (RATE.matcher(l).find()
                || l.contains("skipped"))), out);
    }
}
