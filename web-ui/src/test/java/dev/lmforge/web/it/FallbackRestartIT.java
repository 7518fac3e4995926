package dev.lmforge.web.it;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static dev.lmforge.web.ConsoleBrowser.screenshot;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.LocatorAssertions;
import dev.lmforge.services.artifacts.Digests;
import dev.lmforge.web.ConsoleBrowser;
import io.restassured.path.json.JsonPath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fallback: where no Temporal CLI can be found, lmforge runs Temporal's in-process Java test server, whose
 * state is in memory. Kill -9 everything and start it again on the same data folder: the ledger marks the run
 * INTERRUPTED; in the browser (whose header says which Temporal this is), its page's resume preview says what will
 * be reused, and the run resumed from there reuses the completed stage without running it again. The API token the
 * first start wrote still works after the restart, for the tests and for the command line.
 */
class FallbackRestartIT {

    @Test
    void anInterruptedRunResumesReusingItsCompletedStages(@TempDir Path dir) throws Exception {
        String spec = "name: restart\nstages: [data, plan]\ncorpus:\n  sources:\n    - path: " + WorkerTakeoverIT.CORPUS
                + "\ndata:\n  maxBytesPerSecond: 700000\ncompute:\n  budget: 2.0e15\n";
        try (LmforgeProcesses lmforge = new LmforgeProcesses(dir); ConsoleBrowser browser = ConsoleBrowser.launch()) {
            Map<String, String> fallback = Map.of("LMFORGE_TEMPORAL_CLI", "none");
            lmforge.startServer(true, fallback);
            RunApi api = new RunApi(lmforge);
            String id = api.submit(spec);
            api.await(id, r -> "RUNNING".equals(r.getString("stages[0].status")), "data running", Duration.ofSeconds(60));
            api.request().post("/api/runs/" + id + "/pause").then().statusCode(200);
            JsonPath paused = api.await(id, r -> "PAUSED".equals(r.getString("status")), "PAUSED", Duration.ofSeconds(120));
            long dataRow = paused.getLong("stages[0].rowId");

            lmforge.killEverything();
            lmforge.startServer(true, fallback);

            JsonPath interrupted = api.run(id);
            assertEquals("INTERRUPTED", interrupted.getString("status"));
            api.request().queryParam("dryRun", true).post("/api/runs/" + id + "/resume").then().statusCode(200)
                    .body("stages.action", equalTo(List.of("reuse", "run")));

            // The same preview in the console, then the resume from its dialog: a new linked run opens.
            Page page = browser.signedIn(lmforge.baseUrl(), "admin", ConsoleBrowser.adminPassword(dir));
            page.navigate("/run.html?id=" + id);
            assertThat(page.locator("#status")).hasAttribute("data-status", "INTERRUPTED");
            assertThat(page.locator("#temporal-fallback")).isVisible();
            page.locator("#resume").click();
            assertThat(page.locator("#resume-table tr[data-stage=data]")).hasAttribute("data-action", "reuse");
            assertThat(page.locator("#resume-table tr[data-stage=plan]")).hasAttribute("data-action", "run");
            screenshot(page, "run-interrupted-resume-preview");
            page.locator("#resume-confirm").click();
            page.waitForURL(url -> url.contains("/run.html?id=") && !url.endsWith("id=" + id));
            String resumed = page.url().substring(page.url().indexOf("id=") + 3);
            assertNotEquals(id, resumed);
            assertThat(page.locator("#status")).hasAttribute("data-status", "SUCCEEDED",
                    new LocatorAssertions.HasAttributeOptions().setTimeout(120_000));
            assertThat(page.locator(".stage-box[data-stage=data]")).hasAttribute("data-status", "REUSED");
            assertThat(page.locator(".stage-box[data-stage=plan]")).hasAttribute("data-status", "SUCCEEDED");
            screenshot(page, "run-resumed");

            JsonPath done = api.await(resumed, r -> "SUCCEEDED".equals(r.getString("status")), "SUCCEEDED", Duration.ofSeconds(120));
            assertEquals(id, done.getString("resumedFrom"));
            assertEquals(List.of("REUSED", "SUCCEEDED"), done.getList("stages.status"));
            assertEquals(dataRow, done.getLong("stages[0].reusedFrom"));
            assertEquals(0, done.getList("stages[0].attempts").size(), "the reused data stage did not run again");
            assertEquals(1, api.run(id).getList("stages[0].attempts").size(), "nor did the original gain an attempt");

            // The command line signs in with the token the local stack wrote, and is refused a made-up one.
            LmforgeProcesses.CliResult status = lmforge.cli(Map.of(), "status", resumed);
            assertEquals(0, status.exitCode(), status.output());
            assertTrue(status.output().contains(resumed + "  SUCCEEDED"), status.output());
            // The commands users of MLflow and Temporal reach for, against this lmforge.
            LmforgeProcesses.CliResult runs = lmforge.cli(Map.of(), "runs");
            assertEquals(0, runs.exitCode(), runs.output());
            assertTrue(runs.output().startsWith("ID "), runs.output());
            assertTrue(runs.output().lines().anyMatch(l -> l.startsWith(resumed + " ") && l.contains("SUCCEEDED")
                    && l.matches(".*\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}  \\d+[smhd].*")), runs.output());
            String planDigest = done.getString("stages[1].outputs.plan");
            Path saved = dir.resolve("downloads");
            Files.createDirectories(saved);
            LmforgeProcesses.CliResult download = lmforge.cli(Map.of(), "artifacts", "download", resumed + ":plan",
                    "--out", saved.toString());
            assertEquals(0, download.exitCode(), download.output());
            try (var files = Files.list(saved)) {
                // Named KIND-DIGEST12.EXT, as the download's Content-Disposition says.
                String prefix = planDigest.replaceFirst("^sha256:", "").substring(0, 12);
                Path file = files.filter(f -> f.getFileName().toString().equals("plan-" + prefix + ".json")).findFirst()
                        .orElseThrow(() -> new AssertionError("no download in " + saved + ": " + download.output()));
                assertEquals(planDigest, Digests.sha256(Files.readAllBytes(file)));
            }
            assertEquals(1, lmforge.cli(Map.of(), "artifacts", "download", resumed + ":plan", "--out", saved.toString())
                    .exitCode(), "an existing file is not replaced without --force");
            String corpus = done.getString("stages[0].outputs.corpus");
            LmforgeProcesses.CliResult lineage = lmforge.cli(Map.of(), "lineage", corpus);
            assertEquals(0, lineage.exitCode(), lineage.output());
            assertTrue(lineage.output().contains("<- data of " + id + " (SUCCEEDED)"), lineage.output());
            LmforgeProcesses.CliResult down = lmforge.cli(Map.of(), "lineage", resumed + ":corpus", "--down");
            assertEquals(0, down.exitCode(), down.output());
            LmforgeProcesses.CliResult refused = lmforge.cli(Map.of("LMFORGE_TOKEN", "lmf_made-up"), "runs");
            assertEquals(1, refused.exitCode(), refused.output());
            assertTrue(refused.output().contains("401 Unauthorized"), refused.output());
        }
    }
}
