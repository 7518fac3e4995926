package dev.lmforge.web.it;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static dev.lmforge.web.ConsoleBrowser.screenshot;
import static dev.lmforge.web.it.PretrainTakeoverIT.lossStep;
import static dev.lmforge.web.it.PretrainTakeoverIT.outputs;
import static dev.lmforge.web.it.PretrainTakeoverIT.stage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.microsoft.playwright.Page;
import dev.lmforge.web.ConsoleBrowser;
import io.restassured.path.json.JsonPath;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kill -9 everything in place in the middle of pretraining: the console with its workflow worker and in-process
 * compute worker, the real Temporal server and PostgreSQL, all at once. Started again on the same data folder, the
 * run goes on as the same run (same id, same workflow, never INTERRUPTED, no linked copy): Temporal still holds its
 * workflow in its SQLite file, retries the lost attempt, and pretraining continues from its newest checkpoint, at
 * most one checkpoint interval redone, to a final checkpoint byte for byte the one an uninterrupted run writes.
 */
class ProcessRestartIT {

    private static final int CHECKPOINT_STEPS = 50;

    @Test
    void aRunGoesOnAsTheSameRunAfterEverythingIsKilled(@TempDir Path dir) throws Exception {
        try (LmforgeProcesses lmforge = new LmforgeProcesses(dir); ConsoleBrowser browser = ConsoleBrowser.launch()) {
            lmforge.startServer(true);
            RunApi api = new RunApi(lmforge);
            String id = api.submit(PretrainTakeoverIT.spec(CHECKPOINT_STEPS));
            JsonPath before = api.await(id, r -> lossStep(r) >= 150, "loss metrics past step 150", Duration.ofSeconds(300));
            String workflowId = before.getString("workflowId");
            assertEquals("RUNNING", stage(api.run(id), "pretrain").get("status"), "pretraining must still run when killed");
            long seenStep = lossStep(api.run(id));

            lmforge.killEverything();
            long restart = System.nanoTime();
            lmforge.startServer(true);
            JsonPath after = api.run(id);
            assertEquals("RUNNING", after.getString("status"), "the same run goes on: " + after.prettify());
            assertEquals(workflowId, after.getString("workflowId"));
            api.await(id, r -> lossStep(r) > seenStep, "a new training step", Duration.ofSeconds(300));
            System.out.printf("restart: %.1f s from SIGKILL of everything to the first new training step%n",
                    (System.nanoTime() - restart) / 1e9);

            // The console links the run to its workflow in the Temporal Web UI the local stack serves.
            Page page = browser.signedIn(lmforge.baseUrl(), "admin", ConsoleBrowser.adminPassword(dir));
            page.navigate("/run.html?id=" + id);
            String ui = "http://127.0.0.1:" + lmforge.temporalUiPort + "/namespaces/default";
            assertThat(page.locator("#temporal-ui")).hasAttribute("href", ui);
            assertThat(page.locator("#workflow a")).hasAttribute("href",
                    ui + "/workflows?query=" + URLEncoder.encode("WorkflowId=\"" + workflowId + "\"",
                            StandardCharsets.UTF_8).replace("+", "%20"));
            screenshot(page, "run-after-restart");

            JsonPath done = api.await(id, r -> r.getString("status").equals("SUCCEEDED"), "SUCCEEDED", Duration.ofSeconds(400));
            assertNull(done.getString("resumedFrom"), "no linked copy");
            List<Map<String, Object>> attempts = (List<Map<String, Object>>) stage(done, "pretrain").get("attempts");
            assertEquals("SUCCEEDED", attempts.get(attempts.size() - 1).get("status"), done.prettify());
            assertTrue(attempts.size() >= 2, "the killed attempt and its retry: " + done.prettify());
            assertNotNull(attempts.get(attempts.size() - 1).get("resumedFromCheckpoint"), done.prettify());
            double resumedFrom = ((Number) ((Map<String, Object>) stage(done, "pretrain").get("summary"))
                    .get("resumedFromStep")).doubleValue();
            // The run resumes from the newest committed checkpoint: at most one interval behind the step it had
            // reached, or two when the kill fell while the next checkpoint was still being uploaded.
            assertTrue(resumedFrom >= seenStep - 2L * CHECKPOINT_STEPS, "resumed from step " + resumedFrom + ", killed past " + seenStep);

            String reference = api.submit(PretrainTakeoverIT.spec(1000));
            JsonPath clean = api.await(reference, r -> r.getString("status").equals("SUCCEEDED"), "SUCCEEDED", Duration.ofSeconds(300));
            assertEquals(outputs(clean).get("checkpoint"), outputs(done).get("checkpoint"),
                    "the killed run's final checkpoint equals the uninterrupted one's");
        }
    }
}
