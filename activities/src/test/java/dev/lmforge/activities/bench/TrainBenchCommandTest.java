package dev.lmforge.activities.bench;

import dev.lmforge.activities.cli.Args;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Option errors of {@code lmforge bench train}, and its smoke run, so the benchmark cannot rot unnoticed. */
class TrainBenchCommandTest {

    /**
     * The smallest run that exercises the whole benchmark: the 0.1 M shape, float32, one thread, half a second of
     * steps and of matmuls. Only that it runs and prints every figure as a positive finite number is checked.
     */
    @Test
    void smokeRunPrintsEveryFigure() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        int exit = new TrainBenchCommand().run(Args.parse(List.of("--shapes", "0.1M", "--precisions", "float32",
                "--threads", "1", "--seconds", "0.5", "--json")),
            new PrintStream(printed, true, StandardCharsets.UTF_8), System.err);
        String out = printed.toString(StandardCharsets.UTF_8);

        assertEquals(0, exit, out);
        JsonNode runs = new ObjectMapper().readTree(out).get("runs");
        assertEquals(1, runs.size(), out);
        for (String figure : List.of("tokensPerSecond", "achievedFlopsPerSecond", "matmulFlopsPerSecond", "mfu",
                "sixNonEmbeddingNMfu")) {
            double value = runs.get(0).path(figure).asDouble(Double.NaN);
            assertTrue(Double.isFinite(value) && value > 0, figure + " in " + out);
        }
    }

    @Test
    void badOptionsAreUsageErrorsNamingTheOption() {
        TrainBenchCommand command = new TrainBenchCommand();
        assertEquals("bench-train", command.name());
        for (List<String> words : List.of(List.of("--shapes", "7B"), List.of("--threads", "two"),
                List.of("--precisions", "int8"), List.of("--seconds", "0"), List.of("--steps", "3"))) {
            Args.UsageException e = assertThrows(Args.UsageException.class, () -> command.run(Args.parse(words),
                    new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream())));
            String option = words.get(0);
            assertTrue(e.getMessage().contains(option), e.getMessage() + " should name " + option);
        }
    }
}
