package dev.lmforge.web.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lmforge bench console --smoke} as a user runs it (the packaged app, its own stack on free ports): it must
 * seed its ledger, load every scenario over HTTP without an error answer and print each scenario's figures, so the
 * benchmark cannot break unnoticed. The figures themselves are not judged here.
 */
class ConsoleBenchSmokeIT {

    private static final List<String> SCENARIOS = List.of("runs list (page 1)", "runs list (deep page, search)",
            "run page (one call)", "run page (six calls, before)");

    @Test
    void theConsoleBenchRunsEveryScenarioAndPrintsItsFigures(@TempDir Path dir) throws Exception {
        String printed = BenchProcess.run(dir, "console", "--smoke");
        assertTrue(printed.contains("seeded 200 runs, 800 stage rows and 1,600 metric points"), printed);
        for (String scenario : SCENARIOS) {
            // pages/s, requests/s, p50 ms, p99 ms: four numbers after the scenario's name.
            Pattern figures = Pattern.compile(Pattern.quote(scenario) + "\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+");
            assertTrue(figures.matcher(printed).find(), scenario + " printed no figures:\n" + printed);
        }
    }
}
