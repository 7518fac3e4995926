package dev.lmforge.activities.bench;

import dev.lmforge.activities.cli.Args;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The smoke run of {@code lmforge bench data}: the benchmark on a 2 MB generated corpus, so it cannot rot unnoticed.
 * It checks only that the benchmark runs to the end and prints every figure as a finite number; the figures
 * themselves are not judged.
 */
class DataBenchCommandTest {

    private static final List<String> FIGURES = List.of("cores", "maxHeapMB", "corpusMB", "readSha256MBps",
        "exactDedupMBps", "minHashMBps", "pipelineWallSeconds", "pipelineCpuSeconds", "pipelineMBps",
        "pipelineToReadSha256", "peakHeapMB", "corpusToMaxHeap", "duplicatesPlanted", "duplicatesRemoved");

    @TempDir
    Path dir;

    @Test
    void smokeRunPrintsEveryFigure() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        int exit = new DataBenchCommand().run(Args.parse(List.of(
                "--size-mb", "2", "--partitions", "2", "--dir", dir.toString(), "--json")),
            new PrintStream(printed, true, StandardCharsets.UTF_8), System.err);
        String out = printed.toString(StandardCharsets.UTF_8);

        assertEquals(0, exit, out);
        JsonNode figures = new ObjectMapper().readTree(out);
        for (String name : FIGURES) {
            JsonNode figure = figures.get(name);
            assertTrue(figure != null && figure.isNumber() && Double.isFinite(figure.asDouble()), name + " in " + out);
        }
        assertTrue(figures.get("duplicatesRemoved").asLong() > 0, out);
    }
}
