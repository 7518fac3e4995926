package dev.lmforge.activities.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.activities.cli.Args;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The smoke run of {@code lmforge bench export}, so the benchmark cannot rot unnoticed. */
class ExportBenchCommandTest {

    /** A tiny shape: every figure is printed, positive, and the serving forms are smaller than the checkpoint. */
    @Test
    void smokeRunPrintsEveryFigure() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        int exit = new ExportBenchCommand().run(Args.parse(List.of("--smoke", "--json", "--threads", "1")),
                new PrintStream(printed, true, StandardCharsets.UTF_8), System.err);
        String out = printed.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, out);
        JsonNode row = new ObjectMapper().readTree(out).get("shapes").get(0);
        for (String figure : List.of("checkpointBytes", "checkpointSeconds", "savedModelBytes", "savedModelSeconds",
                "hfFp32Bytes", "hfFp32Seconds", "hfBf16Bytes", "hfBf16Seconds")) {
            double value = row.path(figure).asDouble(Double.NaN);
            assertTrue(Double.isFinite(value) && value > 0, figure + " in " + out);
        }
        assertTrue(row.path("hfBf16Bytes").asLong() < row.path("hfFp32Bytes").asLong(), out);
    }
}
