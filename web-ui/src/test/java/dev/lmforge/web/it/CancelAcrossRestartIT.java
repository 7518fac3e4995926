package dev.lmforge.web.it;

import static dev.lmforge.web.it.PretrainTakeoverIT.stage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.restassured.path.json.JsonPath;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cancel survives a restart of lmforge, on the real Temporal server: two runs read at the slowest allowed rate;
 * one is cancelled and everything is killed with SIGKILL at once, before its workflow could record the cancel; the
 * other is cancelled after lmforge came back. Both end CANCELLED, not INTERRUPTED, the second within seconds of its
 * cancel, and no attempt of either is left running.
 */
class CancelAcrossRestartIT {

    private static final String SLOW = "stages: [data]\ncorpus:\n  sources:\n    - path: "
            + Path.of("../samples/corpus").toAbsolutePath().normalize() + "\ndata:\n  maxBytesPerSecond: 65536\n";

    @Test
    void aCancelBeforeAndACancelAfterARestartBothEndTheirRunsCancelled(@TempDir Path dir) throws Exception {
        try (LmforgeProcesses lmforge = new LmforgeProcesses(dir)) {
            lmforge.startServer(true);
            RunApi api = new RunApi(lmforge);
            String before = api.submit("name: cancelled-before-restart\n" + SLOW);
            String after = api.submit("name: cancelled-after-restart\n" + SLOW.replace("65536", "65537"));
            for (String id : List.of(before, after)) {
                api.await(id, CancelAcrossRestartIT::dataRunning, "a running data attempt", Duration.ofSeconds(120));
            }

            api.request().post("/api/runs/" + before + "/cancel").then().statusCode(200);
            lmforge.killEverything();
            lmforge.startServer(true);

            JsonPath first = api.await(before, r -> !"RUNNING".equals(r.getString("status")), "its end",
                    Duration.ofSeconds(120));
            assertEquals("CANCELLED", first.getString("status"), "the cancel sent before the kill: " + first.prettify());
            assertEquals("RUNNING", api.run(after).getString("status"), "the other run goes on after the restart");

            long cancelled = System.nanoTime();
            api.request().post("/api/runs/" + after + "/cancel").then().statusCode(200);
            JsonPath second = api.await(after, r -> !"RUNNING".equals(r.getString("status")), "its end",
                    Duration.ofSeconds(60));
            Duration took = Duration.ofNanos(System.nanoTime() - cancelled);
            System.out.printf("cancel after a restart: run %s after %d ms%n", second.getString("status"), took.toMillis());
            assertEquals("CANCELLED", second.getString("status"), second.prettify());
            assertTrue(took.compareTo(Duration.ofSeconds(15)) < 0, "stopped in " + took.toMillis() + " ms");
            for (JsonPath run : List.of(first, second)) {
                assertEquals("CANCELLED", stage(run, "data").get("status"), run.prettify());
                assertTrue(!runningAttempt(run), "no attempt left running: " + run.prettify());
            }
        }
    }

    private static boolean dataRunning(JsonPath run) {
        return "RUNNING".equals(stage(run, "data").get("status")) && runningAttempt(run);
    }

    @SuppressWarnings("unchecked")
    private static boolean runningAttempt(JsonPath run) {
        List<Map<String, Object>> attempts = (List<Map<String, Object>>) stage(run, "data").get("attempts");
        return attempts != null && attempts.stream().anyMatch(a -> "RUNNING".equals(a.get("status")));
    }
}
