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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The smoke runs of {@code lmforge bench data}: the benchmark on a 2 MB generated corpus, and its comparison with
 * datatrove and datasketch on the bundled sample corpus and a 1 MB generated one, so that they cannot rot unnoticed.
 * They check that the benchmark runs to the end and prints every figure as a finite number and, for the
 * comparison, that every side ran and that they agree on the duplicates; the speeds are not judged.
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

    @Test
    void smokeRunAgainstDatatroveAndDatasketchAgreesOnTheDuplicates() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        int exit = new DataBenchCommand().run(Args.parse(List.of("--against", "datatrove", "--sample", "../samples/corpus",
                "--size-mb", "1", "--dir", dir.toString())),
            new PrintStream(printed, true, StandardCharsets.UTF_8), System.err);
        String out = printed.toString(StandardCharsets.UTF_8);

        assertEquals(0, exit, out);
        for (String corpus : List.of("sample", "generated")) {
            Matcher planted = Pattern.compile("corpus " + corpus + ": \\d+ documents, [0-9.]+ MB, (\\d+) planted copies").matcher(out);
            assertTrue(planted.find(), out);
            long copies = Long.parseLong(planted.group(1));
            assertTrue(copies > 0, out);
            for (String peer : List.of("datatrove", "datasketch")) {
                for (String step : List.of("minhash signatures", "whole dedup")) {
                    Matcher line = Pattern.compile("peer " + step + ", " + corpus + " corpus: lmforge (\\S+) MB/s per core, "
                        + peer + " (\\S+) MB/s per core, ratio (\\S+)").matcher(out);
                    assertTrue(line.find(), step + " of " + peer + " on " + corpus + " in " + out);
                    for (int g = 1; g <= 3; g++) {
                        double figure = Double.parseDouble(line.group(g));
                        assertTrue(Double.isFinite(figure) && figure > 0, line.group());
                    }
                }
                // Same shingles and bands: both sides find (nearly) every planted copy, and remove little else.
                Matcher found = Pattern.compile("peer planted copies found, " + corpus + " corpus: lmforge (\\d+) documents, "
                    + peer + " (\\d+) documents").matcher(out);
                assertTrue(found.find(), out);
                assertEquals(copies, Long.parseLong(found.group(1)), found.group());
                assertTrue(Long.parseLong(found.group(2)) >= copies * 0.98, found.group());
                Matcher wrong = Pattern.compile("peer false removals, " + corpus + " corpus: lmforge (\\d+) documents, "
                    + peer + " (\\d+) documents").matcher(out);
                assertTrue(wrong.find(), out);
                assertEquals(0, Long.parseLong(wrong.group(1)), wrong.group());
                assertTrue(Long.parseLong(wrong.group(2)) <= copies * 0.05, wrong.group());
            }
        }
    }
}
