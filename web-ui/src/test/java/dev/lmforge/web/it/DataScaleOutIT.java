package dev.lmforge.web.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.restassured.path.json.JsonPath;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data stage's fan-out gives the same result however many compute workers share it: one lmforge without an
 * in-process worker runs the stage first with one {@code lmforge worker}, then with three, and the corpus manifest
 * and the report (hence every part they name) have the same digests. The second spec differs only in its read
 * throttle, which changes the cache key but not the output, so the second run computes instead of reusing.
 */
class DataScaleOutIT {

    static String spec(long bytesPerSecond) {
        return "name: scale-out\nstages: [data]\ncorpus:\n  sources:\n    - path: " + WorkerTakeoverIT.CORPUS
                + "\ndata:\n  maxBytesPerSecond: " + bytesPerSecond + "\n";
    }

    @Test
    void oneWorkerAndThreeWorkersMakeTheSameCorpusAndReport(@TempDir Path dir) throws Exception {
        try (LmforgeProcesses lmforge = new LmforgeProcesses(dir)) {
            lmforge.startServer(false);
            lmforge.startWorker();
            RunApi api = new RunApi(lmforge);
            JsonPath one = api.await(api.submit(spec(1_000_000_000)), r -> "SUCCEEDED".equals(r.getString("status")),
                    "SUCCEEDED with one worker", Duration.ofSeconds(240));

            List<Process> added = List.of(lmforge.startWorker(), lmforge.startWorker());
            for (Process worker : added) {
                lmforge.awaitLog(worker, "polling", Duration.ofSeconds(120));
            }
            JsonPath three = api.await(api.submit(spec(999_000_000)), r -> "SUCCEEDED".equals(r.getString("status")),
                    "SUCCEEDED with three workers", Duration.ofSeconds(240));

            assertEquals("SUCCEEDED", three.getString("stages[0].status"), "the second run must compute, not reuse");
            assertNotEquals(one.getLong("stages[0].rowId"), three.getLong("stages[0].rowId"));
            assertEquals(one.getString("stages[0].outputs.corpus"), three.getString("stages[0].outputs.corpus"));
            assertEquals(one.getString("stages[0].outputs.report"), three.getString("stages[0].outputs.report"));
            // The workers added for the second run took part in it (each logs the data steps it ran).
            long stepsOnAdded = 0;
            for (Process worker : added) {
                stepsOnAdded += lmforge.log(worker).lines().filter(l -> l.contains("data step '")).count();
            }
            assertTrue(stepsOnAdded > 0, "the two added workers ran none of the data steps");
            System.out.printf("data stage with one worker and with three (%d steps on the added two): corpus sha256:%s,"
                            + " report sha256:%s%n", stepsOnAdded, three.getString("stages[0].outputs.corpus"),
                    three.getString("stages[0].outputs.report"));
        }
    }
}
