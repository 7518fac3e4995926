package dev.lmforge.web.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
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
        String printed = BenchProcess.run(dir, "orchestration", "--smoke");
        assertTrue(printed.contains("real Temporal server at"), printed);
        assertTrue(printed.contains("FALLBACK: Temporal's in-process Java test server"), printed);
        assertEquals(2, printed.split("stage overhead, executed no-op stage: median", -1).length - 1, printed);
        assertEquals(2, printed.split("stage overhead, stage reused from cache: median", -1).length - 1, printed);
        assertTrue(printed.contains("artifacts 1 MB: file copy"), printed);
    }
}
