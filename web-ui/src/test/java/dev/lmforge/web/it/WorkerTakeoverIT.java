package dev.lmforge.web.it;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static dev.lmforge.web.ConsoleBrowser.screenshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.LocatorAssertions;
import dev.lmforge.web.ConsoleBrowser;
import io.restassured.path.json.JsonPath;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kill -9 a compute worker in the middle of the data stage: Temporal notices the missing heartbeats, retries
 * the activity on another worker, and that worker resumes from the checkpoint in the heartbeat details. The
 * result is byte for byte what an uninterrupted run makes. The run page, open in a browser all along, shows the
 * lost attempt and the retry on the other worker as they happen.
 */
class WorkerTakeoverIT {

    static final String CORPUS = Path.of("../samples/corpus").toAbsolutePath().normalize().toString();

    static String spec(long bytesPerSecond) {
        return "name: takeover\nstages: [data]\ncorpus:\n  sources:\n    - path: " + CORPUS
                + "\ndata:\n  maxBytesPerSecond: " + bytesPerSecond + "\n";
    }

    @Test
    void aKilledWorkersStageIsRetriedElsewhereFromItsCheckpoint(@TempDir Path dir) throws Exception {
        try (LmforgeProcesses lmforge = new LmforgeProcesses(dir); ConsoleBrowser browser = ConsoleBrowser.launch()) {
            lmforge.startServer(false);
            Process first = lmforge.startWorker();
            RunApi api = new RunApi(lmforge);

            String id = api.submit(spec(120_000));
            Page page = browser.signedIn(lmforge.baseUrl(), "admin", ConsoleBrowser.adminPassword(dir));
            page.navigate("/run.html?id=" + id);
            // Wait until the first dump's part is stored and its checkpoint has had time to be heartbeated.
            api.await(id, r -> !r.getList("metrics").isEmpty(), "a finished part", Duration.ofSeconds(120));
            Thread.sleep(9_000);
            assertEquals("RUNNING", api.run(id).getString("stages[0].status"), "the stage must still be running when killed");
            LmforgeProcesses.kill(first);
            lmforge.startWorker();

            // The page, never reloaded, shows attempt 1 lost and attempt 2 running elsewhere, then the success.
            LocatorAssertions.HasCountOptions waitForRetry = new LocatorAssertions.HasCountOptions().setTimeout(240_000);
            Locator rows = page.locator("#attempts tbody tr");
            assertThat(rows).hasCount(2, waitForRetry);
            assertThat(rows.nth(0)).containsText("LOST");
            screenshot(page, "run-worker-retry");
            assertThat(page.locator("#status")).hasAttribute("data-status", "SUCCEEDED",
                    new LocatorAssertions.HasAttributeOptions().setTimeout(240_000));
            assertThat(rows.nth(1)).containsText("SUCCEEDED");
            assertThat(rows.nth(1)).containsText("part(s) done"); // the checkpoint it resumed from, folded
            assertThat(rows.nth(1)).containsText("raw-0000");

            JsonPath done = api.await(id, r -> r.getString("status").equals("SUCCEEDED"), "SUCCEEDED", Duration.ofSeconds(240));
            List<String> statuses = done.getList("stages[0].attempts.status");
            assertEquals(List.of("LOST", "SUCCEEDED"), statuses, done.prettify());
            String firstWorker = done.getString("stages[0].attempts[0].worker");
            String secondWorker = done.getString("stages[0].attempts[1].worker");
            assertNotEquals(firstWorker, secondWorker);
            String checkpoint = done.getString("stages[0].attempts[1].resumedFromCheckpoint");
            assertNotNull(checkpoint, "the retry must resume from the heartbeated checkpoint");
            assertTrue(checkpoint.contains("raw-0000"), checkpoint);
            assertThat(rows.nth(0)).containsText(firstWorker);
            assertThat(rows.nth(1)).containsText(secondWorker);
            screenshot(page, "run-worker-retry-succeeded");

            // An uninterrupted run (unthrottled, so not a cache hit) makes the very same corpus.
            String reference = api.submit(spec(1_000_000_000));
            JsonPath clean = api.await(reference, r -> r.getString("status").equals("SUCCEEDED"), "SUCCEEDED", Duration.ofSeconds(120));
            assertEquals(clean.getString("stages[0].outputs.corpus"), done.getString("stages[0].outputs.corpus"));
        }
    }
}
