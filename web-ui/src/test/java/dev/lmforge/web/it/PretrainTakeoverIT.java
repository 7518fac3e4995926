package dev.lmforge.web.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.restassured.path.json.JsonPath;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kill -9 the compute worker in the middle of pretraining: Temporal retries the stage on another worker, which
 * restores the newest checkpoint (weights, AdamW state, data position) and trains on. The final checkpoint is
 * byte for byte the one an uninterrupted run writes: the same losses, step for step, down to the last bit.
 */
class PretrainTakeoverIT {

    static final String CORPUS = Path.of("../samples/corpus").toAbsolutePath().normalize().toString();

    /** One TensorFlow thread, so that sums run in one order; checkpointSteps only changes the cache key. */
    static String spec(int checkpointSteps) {
        return "name: pretrain-takeover\nstages: [data, tokenizer, plan, pretrain]\ncorpus:\n  sources:\n    - path: "
                + CORPUS + "\ntokenizer:\n  vocabSize: 512\ncompute:\n  budget: 5.0e11\nplan:\n  seqLen: 32\n"
                + "training:\n  threads: 1\n  checkpointSteps: " + checkpointSteps + "\n";
    }

    @Test
    void aKilledWorkersPretrainingResumesFromItsCheckpointAndEndsBitForBitTheSame(@TempDir Path dir) throws Exception {
        try (LmforgeProcesses lmforge = new LmforgeProcesses(dir)) {
            lmforge.startServer(false);
            Process first = lmforge.startWorker();
            RunApi api = new RunApi(lmforge);

            String id = api.submit(spec(50));
            api.await(id, r -> lossStep(r) >= 150, "loss metrics past step 150", Duration.ofSeconds(300));
            assertEquals("RUNNING", stage(api.run(id), "pretrain").get("status"), "pretraining must still run when killed");
            LmforgeProcesses.kill(first);
            lmforge.startWorker();

            JsonPath done = api.await(id, r -> r.getString("status").equals("SUCCEEDED"), "SUCCEEDED", Duration.ofSeconds(300));
            Map<String, Object> pretrain = stage(done, "pretrain");
            List<Map<String, Object>> attempts = (List<Map<String, Object>>) pretrain.get("attempts");
            assertEquals(List.of("LOST", "SUCCEEDED"), attempts.stream().map(a -> a.get("status")).toList(), done.prettify());
            assertNotEquals(attempts.get(0).get("worker"), attempts.get(1).get("worker"));
            assertNotNull(attempts.get(1).get("resumedFromCheckpoint"), "the retry names the checkpoint it resumed from");
            double resumedFrom = ((Number) ((Map<String, Object>) pretrain.get("summary")).get("resumedFromStep")).doubleValue();
            assertTrue(resumedFrom >= 50, "resumed from step " + resumedFrom);

            // An uninterrupted run of the same training (another checkpoint interval, so not a cache hit).
            String reference = api.submit(spec(1000));
            JsonPath clean = api.await(reference, r -> r.getString("status").equals("SUCCEEDED"), "SUCCEEDED", Duration.ofSeconds(300));
            assertEquals(outputs(clean).get("checkpoint"), outputs(done).get("checkpoint"),
                    "the resumed run's final checkpoint equals the uninterrupted one's");
        }
    }

    static Map<String, Object> stage(JsonPath run, String name) {
        List<Map<String, Object>> stages = run.getList("stages");
        return stages.stream().filter(s -> name.equals(s.get("stage"))).findFirst().orElseThrow();
    }

    static Map<String, Object> outputs(JsonPath run) {
        return (Map<String, Object>) stage(run, "pretrain").get("outputs");
    }

    static long lossStep(JsonPath run) {
        List<Map<String, Object>> metrics = run.getList("metrics");
        return metrics.stream().filter(m -> "pretrain".equals(m.get("stage")) && "loss".equals(m.get("name")))
                .mapToLong(m -> ((Number) m.get("lastStep")).longValue()).max().orElse(0);
    }
}
