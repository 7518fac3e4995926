package dev.lmforge.web.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lmforge bench orchestration --smoke} as a user runs it (the packaged app, its own stack on free ports):
 * it must finish and print every figure, on the real Temporal server and on the test-server baseline, so the
 * benchmark cannot break unnoticed. The figures themselves are not judged here.
 */
class OrchestrationBenchSmokeIT {

    @Test
    void theOrchestrationBenchRunsToItsEndAndPrintsEveryFigure(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("bench.log");
        Process bench = new ProcessBuilder("java", "-Djava.io.tmpdir=" + dir, "-jar", System.getProperty("lmforge.app.jar"),
                "bench", "orchestration", "--smoke").redirectErrorStream(true).redirectOutput(out.toFile()).start();
        boolean ended = bench.waitFor(300, TimeUnit.SECONDS);
        if (!ended) {
            bench.destroyForcibly();
        }
        String printed = Files.readString(out, StandardCharsets.UTF_8);
        assertTrue(ended, "the bench did not end within 300 s:\n" + printed);
        assertEquals(0, bench.exitValue(), printed);
        assertTrue(printed.contains("real Temporal server at"), printed);
        assertTrue(printed.contains("FALLBACK: Temporal's in-process Java test server"), printed);
        assertEquals(2, printed.split("stage overhead, executed no-op stage: median", -1).length - 1, printed);
        assertEquals(2, printed.split("stage overhead, stage reused from cache: median", -1).length - 1, printed);
        assertTrue(printed.contains("artifacts 1 MB: file copy"), printed);
    }
}
