package dev.lmforge.activities.training;

import dev.lmforge.activities.RealStageRuntime;
import dev.lmforge.activities.StageRuntime;
import dev.lmforge.activities.model.LanguageModel;
import dev.lmforge.activities.model.ModelArchive;
import dev.lmforge.activities.model.StoredModel;
import dev.lmforge.activities.model.TrainingCheckpoint;
import dev.lmforge.activities.planning.BudgetPlanner;
import dev.lmforge.activities.planning.BudgetRequest;
import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.text.TokenShardIndex;
import dev.lmforge.activities.text.TokenShardWriter;
import dev.lmforge.activities.text.TokenShards;
import dev.lmforge.activities.tokenizer.BpeTrainer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.ledger.Records.CheckpointRecord;
import dev.lmforge.services.ledger.Records.MetricPoint;
import dev.lmforge.services.ledger.Records.NewRun;
import dev.lmforge.workflows.spec.LifecycleSpec.TrainingOptions;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.Outputs;
import dev.lmforge.workflows.stage.PretrainStage;
import dev.lmforge.workflows.stage.PretrainStageConfig;
import dev.lmforge.workflows.stage.StageInput;
import dev.lmforge.workflows.stage.StageOutput;
import io.temporal.activity.ActivityOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pretrain stage against a real PostgreSQL and S3 server, run through Temporal's activity test environment
 * on a tiny planned model: the loss falls; a retry handed a checkpoint continues with the same losses step for
 * step; a corrupt checkpoint is skipped for the one before; continual training from the boundary checkpoint
 * ends near a run planned for the longer budget from the start; a diverging run and a model too big for the
 * worker stop with clear errors.
 */
class PretrainStageActivitiesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double BUDGET = 3e10;
    /** One thread: TensorFlow's multi-threaded reductions may sum in another order. */
    private static final TrainingOptions OPTIONS = new TrainingOptions(7L, null, null, null, 1, null, 40, 10, null);

    @TempDir
    static Path dir;
    static RealStageRuntime stack;
    static StageRuntime runtime;
    static Map<String, ArtifactRef> inputs;
    static ObjectNode plan;
    static StageOutput first;
    static int runs;

    @BeforeAll
    static void trainOnce() throws Exception {
        stack = new RealStageRuntime(dir);
        runtime = stack.runtime();
        inputs = new LinkedHashMap<>();
        String text = Files.readString(Path.of("../samples/corpus/dump-2024-01.jsonl")).substring(0, 600_000);
        BpeTrainer trainer = new BpeTrainer(300);
        trainer.addText(text);
        BpeTokenizer tokenizer = trainer.train();
        inputs.put("tokenizer", store(Files.readAllBytes(tokenizer.save(dir.resolve("tokenizer"))), "tokenizer"));
        Path shardDir = dir.resolve("shards");
        TokenShardIndex index;
        try (TokenShardWriter writer = new TokenShardWriter(shardDir, tokenizer.vocabularySize(),
                tokenizer.specialTokenId("<|eos|>"), 4096)) {
            writer.writeDocument(tokenizer.encode(text));
            index = writer.finish();
        }
        Map<String, String> files = new LinkedHashMap<>();
        for (TokenShardIndex.Shard shard : index.shards()) {
            files.put(shard.file(), store(Files.readAllBytes(shardDir.resolve(shard.file())), "token-shard").digest());
        }
        inputs.put("tokens", store(JSON.writeValueAsBytes(new TokenShards(TokenShardIndex.FORMAT, index, files)), "tokens"));
        String heldOut = Files.readString(Path.of("../samples/corpus/dump-2024-01.jsonl")).substring(600_000, 700_000);
        inputs.put("held-out", store(heldOut.substring(heldOut.indexOf('\n') + 1, heldOut.lastIndexOf('\n') + 1)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8), "held-out-text"));
        plan = JSON.valueToTree(BudgetPlanner.plan(new BudgetRequest(BUDGET, null, 32, tokenizer.vocabularySize(), null, null)));
        first = pretrain("key-first", OPTIONS, null, p -> { });
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

    /** Runs the stage as a new run whose stage row has {@code cacheKey}; {@code changePlan} edits the plan. */
    private static StageOutput pretrain(String cacheKey, TrainingOptions options, PretrainStageActivities.Progress heartbeat,
                                        Consumer<ObjectNode> changePlan) throws Exception {
        String runId = "run-" + ++runs;
        ObjectNode planJson = plan.deepCopy();
        changePlan.accept(planJson);
        Map<String, ArtifactRef> stageInputs = new LinkedHashMap<>(inputs);
        stageInputs.put("plan", store(JSON.writeValueAsBytes(planJson), "plan"));
        runtime.ledger().runs().createRun(new NewRun(runId, "t", null, "alice", "{}", "", List.of(), null));
        Map<String, String> digests = new LinkedHashMap<>();
        stageInputs.forEach((name, ref) -> digests.put(name, ref.digest()));
        long row = runtime.ledger().runs().beginStage(runId, "pretrain", 1, cacheKey, "{}", digests, null);
        StageInput input = new StageInput(runId, row, "pretrain", JSON.valueToTree(new PretrainStageConfig(options)),
                stageInputs);
        TestActivityEnvironment env = TestActivityEnvironment.newInstance();
        try {
            env.registerActivitiesImplementations(new PretrainStageActivities(runtime));
            if (heartbeat != null) {
                env.setHeartbeatDetails(heartbeat);
            }
            return env.newActivityStub(PretrainStage.class, ActivityOptions.newBuilder()
                    .setStartToCloseTimeout(Duration.ofMinutes(5)).build()).pretrain(input);
        } finally {
            env.close();
        }
    }

    private static double meanOfLastLosses(int run, int n) {
        List<MetricPoint> losses = losses(run);
        return losses.subList(losses.size() - n, losses.size()).stream().mapToDouble(MetricPoint::value).average().orElseThrow();
    }

    private static List<MetricPoint> losses(int run) {
        return runtime.ledger().metrics().metricSeries("run-" + run, "pretrain", "loss", 100_000);
    }

    private static CheckpointRecord checkpointAt(long step) {
        return runtime.ledger().artifacts().checkpoints("key-first").stream().filter(c -> c.step() == step)
                .findFirst().orElseThrow(() -> new AssertionError("no checkpoint at step " + step));
    }

    @Test
    void thePlannedModelTrainsAndItsLossFalls() {
        long steps = plan.get("steps").asLong();
        assertEquals(steps, first.summary().get("steps").longValue());
        assertNotNull(first.outputs().get(Outputs.MODEL));
        assertNotNull(first.outputs().get(Outputs.CHECKPOINT));
        assertNotNull(first.outputs().get(Outputs.BOUNDARY_CHECKPOINT));
        List<MetricPoint> losses = losses(1);
        assertEquals(steps, losses.size());
        double start = losses.subList(0, 5).stream().mapToDouble(MetricPoint::value).average().orElseThrow();
        double end = losses.subList(losses.size() - 5, losses.size()).stream().mapToDouble(MetricPoint::value).average().orElseThrow();
        assertTrue(start > Math.log(300) - 0.5, "starts near uniform: " + start);
        assertTrue(end < start - 1.0, "loss falls from " + start + " to " + end);
        assertEquals(losses.get(losses.size() - 1).value(), first.summary().get("loss"), 1e-12);
        double heldOut = first.summary().get("heldOutLoss");
        assertTrue(heldOut < start - 0.5 && heldOut > end - 1.5, "held-out loss " + heldOut + " near the training loss " + end);
    }

    /**
     * The model artifact holds the serving SavedModel and the Hugging Face folder; both score as the final
     * checkpoint does, and the SavedModel carries the weights only, not the checkpoint's AdamW moments.
     */
    @Test
    void theModelArtifactServesInBothFormsAsTheFinalCheckpoint(@TempDir Path tmp) throws Exception {
        Path zip = tmp.resolve("model.zip");
        runtime.artifacts().download(first.outputs().get(Outputs.MODEL).digest(), zip);
        Path unzipped = tmp.resolve("unzipped");
        try (var in = Files.newInputStream(zip)) {
            ModelArchive.unzip(in, unzipped);
        }
        TrainingCheckpoint state;
        try (var in = runtime.artifacts().open(first.outputs().get(Outputs.CHECKPOINT).digest())) {
            state = TrainingCheckpoint.unpack(in, tmp.resolve("checkpoint"));
        }
        int[][] rows = {new int[state.shape().seqLen() + 1]};
        for (int i = 0; i < rows[0].length; i++) {
            rows[0][i] = (i * 31 + 7) % state.shape().vocab();
        }
        try (LanguageModel checkpoint = state.languageModel(tmp.resolve("checkpoint"), 1);
             StoredModel.Opened archive = StoredModel.open(zip, 1);
             StoredModel.Opened hf = StoredModel.open(unzipped.resolve(ModelArchive.HF_FOLDER), 1)) {
            float[] expected = checkpoint.tokenLogProbabilities(rows)[0];
            assertArrayEquals(expected, archive.model().model().tokenLogProbabilities(rows)[0], 1e-5f);
            assertArrayEquals(expected, hf.model().model().tokenLogProbabilities(rows)[0], 1e-5f);
        }
        long weights = 4 * first.summary().get("parameters").longValue();
        long savedModelVariables;
        try (var files = Files.list(unzipped.resolve(ModelArchive.SAVED_MODEL).resolve("variables"))) {
            savedModelVariables = files.mapToLong(f -> f.toFile().length()).sum();
        }
        assertTrue(savedModelVariables < weights + 8192, savedModelVariables + " bytes for " + weights + " of weights");
    }

    @Test
    void aRetryHandedACheckpointContinuesWithTheSameLossesStepForStep() throws Exception {
        CheckpointRecord at40 = checkpointAt(40);
        StageOutput resumed = pretrain("key-retry", OPTIONS, new PretrainStageActivities.Progress(40, 0, at40.digest(), 40),
                p -> { });
        int run = runs;
        assertEquals(40, resumed.summary().get("resumedFromStep").longValue());
        List<MetricPoint> original = losses(1);
        List<MetricPoint> after = losses(run);
        assertEquals(original.size() - 40, after.size());
        for (int i = 0; i < after.size(); i++) {
            assertEquals(original.get(40 + i).step(), after.get(i).step());
            assertEquals(original.get(40 + i).value(), after.get(i).value(), 1e-5 * original.get(40 + i).value(),
                    "loss at step " + after.get(i).step());
        }
        assertEquals(first.outputs().get(Outputs.CHECKPOINT).digest(),
                resumed.outputs().get(Outputs.CHECKPOINT).digest(), "the final checkpoints are equal");
    }

    @Test
    void aCorruptCheckpointIsDetectedAndTheOneBeforeItUsed() throws Exception {
        ArtifactRef last = first.outputs().get(Outputs.CHECKPOINT);
        stack.withCorruptArtifact(last.digest(), () -> {
            List<CheckpointRecord> newestFirst = runtime.ledger().artifacts().checkpoints("key-first");
            assertEquals(last.digest(), newestFirst.get(0).digest());
            StageOutput out = pretrain("key-first", OPTIONS, null, p -> { });
            assertEquals(newestFirst.get(1).step(), out.summary().get("resumedFromStep").longValue());
            assertEquals(first.summary().get("loss"), out.summary().get("loss"), 1e-5);
        });
    }

    @Test
    void continualTrainingFromTheBoundaryEndsNearARunPlannedLongerFromTheStart() throws Exception {
        String boundary = first.outputs().get(Outputs.BOUNDARY_CHECKPOINT).digest();
        TrainingOptions extend = new TrainingOptions(7L, null, null, null, 1, null, null, 10, boundary);
        StageOutput extended = pretrain("key-extended", extend, null, p -> p.put("compute", 2 * BUDGET));
        long steps = extended.summary().get("steps").longValue();
        assertTrue(steps > 1.9 * plan.get("steps").asLong(), "twice the budget, about twice the steps: " + steps);
        StageOutput fresh = pretrain("key-fresh-long", OPTIONS, null, p -> p.put("steps", steps));
        assertEquals(steps, fresh.summary().get("steps").longValue());
        double a = meanOfLastLosses(runs - 1, 20);
        double b = meanOfLastLosses(runs, 20);
        assertTrue(Math.abs(a - b) < 0.03 * b, "continued " + a + " vs planned from the start " + b);
        assertTrue(b < meanOfLastLosses(1, 20), "the longer run ends lower");
    }

    @Test
    void aDivergingRunStopsNamingTheStepAndTheLastGoodCheckpoint() {
        TrainingOptions often = new TrainingOptions(7L, null, null, null, 1, null, 2, 10, null);
        ActivityFailure failure = assertThrows(ActivityFailure.class,
                () -> pretrain("key-diverge", often, null, p -> p.put("learningRate", 1e9)));
        ApplicationFailure cause = (ApplicationFailure) failure.getCause();
        assertEquals("TrainingDiverged", cause.getType());
        assertTrue(cause.getOriginalMessage().matches("loss became .* at step \\d+; the last good checkpoint is .*"),
                cause.getOriginalMessage());
        // The ledger keeps the attempt's stack trace for the console, not just its message.
        String recorded = runtime.ledger().runs().stages("run-" + runs).get(0).attempts().get(0).error();
        assertTrue(recorded.startsWith("io.temporal.failure.ApplicationFailure: message='loss became"), recorded);
        assertTrue(recorded.contains("\tat dev.lmforge.activities.training.PretrainStageActivities"), recorded);
    }

    @Test
    void aModelTooBigForTheWorkerIsRefusedWithTheNumbersBeforeTraining() {
        ObjectNode huge = JSON.valueToTree(BudgetPlanner.plan(new BudgetRequest(1e24, null, 4096, 102_400, null, null)));
        ActivityFailure failure = assertThrows(ActivityFailure.class,
                () -> pretrain("key-huge", OPTIONS, null, p -> p.setAll(huge)));
        ApplicationFailure cause = (ApplicationFailure) failure.getCause();
        assertTrue(cause.getOriginalMessage().contains("MiB for weights"), cause.getOriginalMessage());
        assertTrue(cause.isNonRetryable());
    }

    @Test
    void periodicCheckpointsBeyondTheRetentionCountArePrunedButBoundaryAndFinalKept() throws Exception {
        TrainingOptions keepOne = new TrainingOptions(7L, null, null, null, 1, null, 20, 1, null);
        pretrain("key-prune", keepOne, null, p -> { });
        List<CheckpointRecord> left = runtime.ledger().artifacts().checkpoints("key-prune");
        assertEquals(List.of("final", "periodic", "boundary"), left.stream().map(CheckpointRecord::role).toList());
        assertEquals(120, left.get(1).step());
        String pruned = checkpointDigest("key-prune", 100);
        assertTrue(runtime.artifacts().size(pruned).isEmpty(), "its bytes are gone");
        assertTrue(runtime.artifacts().size(left.get(1).digest()).isPresent());
    }

    /** The digest of a checkpoint at {@code step}, pruned or not (the ledger keeps every row). */
    private static String checkpointDigest(String cacheKey, long step) throws Exception {
        try (var c = runtime.ledger().jdbc().dataSource().getConnection();
             var ps = c.prepareStatement("SELECT digest FROM checkpoints WHERE cache_key = ? AND step = ? AND pruned")) {
            ps.setString(1, cacheKey);
            ps.setLong(2, step);
            try (var rs = ps.executeQuery()) {
                assertTrue(rs.next(), "a pruned checkpoint at step " + step);
                return rs.getString(1);
            }
        }
    }
}
