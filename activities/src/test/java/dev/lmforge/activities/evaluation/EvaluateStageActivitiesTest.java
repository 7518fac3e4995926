package dev.lmforge.activities.evaluation;

import dev.lmforge.activities.RealStageRuntime;
import dev.lmforge.activities.StageRuntime;
import dev.lmforge.activities.model.ComputePrecision;
import dev.lmforge.activities.model.DecoderTrainer;
import dev.lmforge.activities.model.ModelShape;
import dev.lmforge.activities.model.OptimizerSettings;
import dev.lmforge.activities.model.TrainingCheckpoint;
import dev.lmforge.activities.model.TrainingSetup;
import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.text.CorpusManifest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.ledger.Records.EvaluationResult;
import dev.lmforge.services.ledger.Records.NewRun;
import dev.lmforge.workflows.spec.LifecycleSpec.EvaluationOptions;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.EvaluateStage;
import dev.lmforge.workflows.stage.EvaluateStageConfig;
import dev.lmforge.workflows.stage.StageInput;
import dev.lmforge.workflows.stage.StageOutput;
import io.temporal.activity.ActivityOptions;
import io.temporal.testing.TestActivityEnvironment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evaluation stage against a real PostgreSQL and S3 server, through Temporal's activity test environment,
 * on a tiny decoder trained here for a few steps: it measures bits per byte on held-out documents and runs the
 * bundled suite generated from the corpus, records every figure in the ledger against the model, and a retry
 * that heartbeated finished tasks does not evaluate them again.
 */
class EvaluateStageActivitiesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static RealStageRuntime stack;
    static StageRuntime runtime;
    static Map<String, ArtifactRef> inputs = new LinkedHashMap<>();
    static int runs;

    @BeforeAll
    static void trainATinyModel() throws Exception {
        stack = new RealStageRuntime(dir);
        runtime = stack.runtime();
        BpeTokenizer tokenizer = SmallTokenizers.merged();
        inputs.put("tokenizer", store(Files.readAllBytes(tokenizer.save(dir.resolve("tokenizer"))), "tokenizer"));
        Path sample = Path.of("../samples/corpus/dump-2024-01.jsonl");
        ArtifactRef part = store(Files.readAllBytes(sample), "corpus-part");
        CorpusManifest corpus = new CorpusManifest(CorpusManifest.FORMAT, 1, 0, 0, List.of(),
                List.of(new CorpusManifest.Part("raw-0000", "d", part.digest(), part.sizeBytes(), 1, 0, 0)));
        inputs.put("corpus", store(JSON.writeValueAsBytes(corpus), "corpus"));
        String heldOut = JSON.writeValueAsString(Map.of("text", SmallTokenizers.ENGLISH)) + "\n"
                + JSON.writeValueAsString(Map.of("text", "The fox runs; the dog sleeps.")) + "\n";
        inputs.put("held-out", store(heldOut.getBytes(StandardCharsets.UTF_8), "held-out-text"));

        ModelShape shape = new ModelShape(1, 32, 2, 1, 32, tokenizer.vocabularySize());
        TrainingSetup setup = new TrainingSetup(shape, OptimizerSettings.paper(), 4, 1, ComputePrecision.FLOAT32, 3, 1, null);
        Path variables = dir.resolve("variables");
        Files.createDirectories(variables);
        try (DecoderTrainer trainer = new DecoderTrainer(setup)) {
            int[] ids = tokenizer.encode(SmallTokenizers.ENGLISH.repeat(4));
            int[] rows = new int[4 * 33];
            for (int step = 0; step < 20; step++) {
                for (int i = 0; i < rows.length; i++) {
                    rows[i] = ids[(i + step * 7) % ids.length];
                }
                trainer.step(rows, null, 3e-3);
            }
            trainer.save(variables);
        }
        Path zip = dir.resolve("checkpoint.zip");
        new TrainingCheckpoint(20, 0, 20 * 4 * 32, shape, 4, 3e-3, 20, "multi-step", 3, 0, false).pack(variables, zip);
        inputs.put("checkpoint", store(Files.readAllBytes(zip), "checkpoint"));
        inputs.put("model", store("stands in for the exported SavedModel".getBytes(StandardCharsets.UTF_8), "model"));
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    private static ArtifactRef store(byte[] bytes, String kind) {
        ArtifactStore.StoredObject stored = runtime.artifacts().put(bytes);
        runtime.ledger().artifacts().recordArtifact(stored.digest(), kind, stored.sizeBytes(), "{}");
        return new ArtifactRef(stored.digest(), kind, stored.sizeBytes());
    }

    private static StageOutput evaluate(Object heartbeat) {
        String runId = "eval-" + ++runs;
        runtime.ledger().runs().createRun(new NewRun(runId, "t", null, "alice", "{}", "", List.of(), null));
        Map<String, String> digests = new LinkedHashMap<>();
        inputs.forEach((name, ref) -> digests.put(name, ref.digest()));
        long row = runtime.ledger().runs().beginStage(runId, "evaluate-base", 1, "key-" + runId, "{}", digests, null);
        EvaluationOptions options = new EvaluationOptions(null, 8, null, 4);
        StageInput input = new StageInput(runId, row, "evaluate-base",
                JSON.valueToTree(new EvaluateStageConfig(options)), inputs);
        TestActivityEnvironment env = TestActivityEnvironment.newInstance();
        try {
            env.registerActivitiesImplementations(new EvaluateStageActivities(runtime));
            if (heartbeat != null) {
                env.setHeartbeatDetails(heartbeat);
            }
            return env.newActivityStub(EvaluateStage.class, ActivityOptions.newBuilder()
                    .setStartToCloseTimeout(Duration.ofMinutes(5)).build()).evaluate(input);
        } finally {
            env.close();
        }
    }

    @Test
    void bitsPerByteAndTheBundledSuiteAreMeasuredAndRecordedAgainstTheModel() {
        StageOutput out = evaluate(null);
        double bpb = out.summary().get("held-out.bits_per_byte");
        assertTrue(bpb > 0 && bpb < 20, "bits per byte " + bpb);
        for (String key : List.of("arithmetic.exact_match", "copy.exact_match", "cloze.acc", "cloze.acc_norm", "cloze.acc_uncond")) {
            assertTrue(out.summary().containsKey(key), key + " in " + out.summary().keySet());
        }
        List<EvaluationResult> recorded = runtime.ledger().metrics().evaluations("eval-" + runs);
        assertEquals(out.summary().size(), recorded.size());
        assertTrue(recorded.stream().allMatch(r -> r.model().equals(inputs.get("model").digest())));
        assertEquals(bpb, recorded.stream().filter(r -> r.task().equals("held-out")).findFirst().orElseThrow().value());
    }

    @Test
    void aRetryKeepsTheTasksItsPredecessorFinished() {
        MetricResult given = new MetricResult(EvaluateStageActivities.HELD_OUT_TASK, BitsPerByte.METRIC, 42.0, 7, null);
        MetricResult arithmetic = new MetricResult("arithmetic", "exact_match", 0.123, 8, 0.1);
        StageOutput out = evaluate(JSON.valueToTree(List.of(given, arithmetic)));
        assertEquals(42.0, out.summary().get("held-out.bits_per_byte"));
        assertEquals(0.123, out.summary().get("arithmetic.exact_match"));
        assertTrue(out.summary().containsKey("copy.exact_match"));
    }
}
