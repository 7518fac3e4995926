package dev.lmforge.activities.alignment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.activities.RealStageRuntime;
import dev.lmforge.activities.StageRuntime;
import dev.lmforge.activities.tokenizer.BpeTokenizer;
import dev.lmforge.activities.tokenizer.BpeTrainer;
import dev.lmforge.activities.training.DecoderTrainer;
import dev.lmforge.activities.training.LanguageModel;
import dev.lmforge.activities.training.TrainingCheckpoint;
import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.artifacts.Digests;
import dev.lmforge.services.ledger.Records.MetricSummary;
import dev.lmforge.services.ledger.Records.NewRun;
import dev.lmforge.workflows.stage.AlignStage;
import dev.lmforge.workflows.stage.AlignStageConfig;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.StageInput;
import dev.lmforge.workflows.stage.StageOutput;
import io.temporal.activity.ActivityOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The align stage against a real PostgreSQL and S3 server, through Temporal's activity test environment: SFT then
 * DPO on the bundled sets from a tiny base checkpoint, its outputs readable as pretraining's are, and its figures
 * in the ledger; a tokenizer without the chat template's role tokens is refused by name.
 */
class AlignStageActivitiesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static RealStageRuntime stack;
    static StageRuntime runtime;
    static ArtifactRef checkpoint;
    static int runs;

    @BeforeAll
    static void storeABaseModel() throws Exception {
        stack = new RealStageRuntime(dir);
        runtime = stack.runtime();
        Path variables = dir.resolve("base");
        try (DecoderTrainer trainer = new DecoderTrainer(TinyChatModels.setup(8))) {
            trainer.save(variables);
        }
        Path zip = dir.resolve("base.zip");
        new TrainingCheckpoint(0, 0, 0, TinyChatModels.setup(8).shape(), 8, 1e-3, 1, "cosine", 11, 0, false)
                .pack(variables, zip);
        checkpoint = store(Files.readAllBytes(zip), "checkpoint");
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    @Test
    void alignsTheBaseModelAndRecordsItsFigures() throws Exception {
        JsonNode sft = JSON.readTree("{\"epochs\": 2, \"learningRate\": 0.01, \"twoStage\": true}");
        JsonNode dpo = JSON.readTree("{\"epochs\": 2, \"learningRate\": 0.003, \"beta\": 0.1}");
        String runId = "align-" + (runs + 1);
        StageOutput out = align(sft, dpo, TinyChatModels.tokenizer());

        assertEquals(Set.of("model", "checkpoint", "report"), out.outputs().keySet());
        assertTrue(out.summary().get("responseLossAfter") < out.summary().get("responseLossBefore"));
        assertTrue(out.summary().get("rewardMargin") > 0, "margin " + out.summary().get("rewardMargin"));
        assertEquals(24 + 16, out.summary().get("sftSteps"));
        Map<String, Long> series = runtime.ledger().metricSummaries(runId).stream()
                .collect(Collectors.toMap(MetricSummary::name, MetricSummary::points));
        assertEquals(Map.of("sft_loss", 40L, "dpo_loss", 24L, "repetition_ratio", 2L, "reward_margin", 2L,
                "preference_accuracy", 2L), series);

        Path unpacked = dir.resolve("aligned-" + runId);
        try (InputStream in = runtime.artifacts().open(out.outputs().get("checkpoint").digest())) {
            TrainingCheckpoint state = TrainingCheckpoint.unpack(in, unpacked);
            assertEquals(TinyChatModels.setup(8).shape(), state.shape());
            try (LanguageModel model = state.languageModel(unpacked, 1)) {
                assertEquals(TinyChatModels.SEQ_LEN, model.contextLength());
            }
        }
    }

    @Test
    void theDataIsSnapshottedByDigestAndABadLineIsRefusedWithItsFileAndLine() throws Exception {
        Map<String, ArtifactRef> bundled = snapshot(null, null);
        assertEquals(Set.of("sft-data", "preference-data"), bundled.keySet());
        assertEquals(Digests.sha256(AlignmentData.bundledBytes(AlignmentData.BUNDLED_SFT)), bundled.get("sft-data").digest());
        assertEquals(bundled, snapshot(null, null), "unchanged data, the same digests: the stage's cache key holds");
        assertTrue(runtime.ledger().artifact(bundled.get("preference-data").digest()).orElseThrow().metadata()
                .contains("\"records\": 64"));

        Path mine = dir.resolve("mine.jsonl");
        Files.writeString(mine, BundledSetGenerator.sftJsonl(1, 2) + "{not json\n");
        JsonNode sft = JSON.readTree("{\"data\": \"" + mine + "\"}");
        ActivityFailure failure = assertThrows(ActivityFailure.class, () -> snapshot(sft, null));
        assertTrue(failure.getCause().getMessage().contains("sft.data: " + mine + ":3: not JSON"), failure.getCause().getMessage());

        Files.writeString(mine, BundledSetGenerator.sftJsonl(1, 2));
        ArtifactRef edited = snapshot(sft, null).get("sft-data");
        assertEquals(Digests.sha256(Files.readAllBytes(mine)), edited.digest());
        assertTrue(runtime.ledger().artifact(edited.digest()).orElseThrow().metadata().contains(mine.toString()));
    }

    @Test
    void refusesATokenizerWithoutTheRoleTokens() {
        BpeTrainer trainer = new BpeTrainer(TinyChatModels.tokenizer().vocabularySize(),
                List.of("<|bos|>", "<|eos|>", "<|pad|>", "<|a|>", "<|b|>", "<|c|>"));
        trainer.addText(BundledSetGenerator.sftJsonl(1, 50));
        // Without data inputs, as runs recorded before the snapshot step: the bundled sets are read in place.
        ActivityFailure failure = assertThrows(ActivityFailure.class, () -> align(null, null, trainer.train(), Map.of()));
        assertTrue(failure.getCause().getMessage().contains("the tokenizer lacks the chat template's special tokens "
                + "[<|system|>, <|user|>, <|assistant|>]"), failure.getCause().getMessage());
    }

    /** The stage as the lifecycle runs it: its data snapshotted first, then read by digest. */
    private static StageOutput align(JsonNode sft, JsonNode dpo, BpeTokenizer tokenizer) throws Exception {
        return align(sft, dpo, tokenizer, snapshot(sft, dpo));
    }

    private static Map<String, ArtifactRef> snapshot(JsonNode sft, JsonNode dpo) {
        TestActivityEnvironment env = TestActivityEnvironment.newInstance();
        try {
            env.registerActivitiesImplementations(new AlignStageActivities(runtime));
            return env.newActivityStub(AlignStage.class, ActivityOptions.newBuilder()
                    .setStartToCloseTimeout(Duration.ofMinutes(1)).build())
                    .snapshotData(JSON.valueToTree(new AlignStageConfig(sft, dpo)));
        } finally {
            env.close();
        }
    }

    private static StageOutput align(JsonNode sft, JsonNode dpo, BpeTokenizer tokenizer, Map<String, ArtifactRef> data)
            throws Exception {
        String runId = "align-" + ++runs;
        Map<String, ArtifactRef> inputs = new LinkedHashMap<>(data);
        inputs.put("checkpoint", checkpoint);
        inputs.put("tokenizer", store(Files.readAllBytes(tokenizer.save(dir.resolve("tokenizer-" + runId))),
                "tokenizer"));
        runtime.ledger().createRun(new NewRun(runId, "t", null, "alice", "{}", "", null));
        Map<String, String> digests = new LinkedHashMap<>();
        inputs.forEach((name, ref) -> digests.put(name, ref.digest()));
        long row = runtime.ledger().beginStage(runId, "align", 1, "key-" + runId, "{}", digests, null);
        StageInput input = new StageInput(runId, row, "align", JSON.valueToTree(new AlignStageConfig(sft, dpo)),
                inputs);
        TestActivityEnvironment env = TestActivityEnvironment.newInstance();
        try {
            env.registerActivitiesImplementations(new AlignStageActivities(runtime));
            return env.newActivityStub(AlignStage.class, ActivityOptions.newBuilder()
                    .setStartToCloseTimeout(Duration.ofMinutes(5)).build()).align(input);
        } finally {
            env.close();
        }
    }

    private static ArtifactRef store(byte[] bytes, String kind) {
        ArtifactStore.StoredObject stored = runtime.artifacts().put(bytes);
        runtime.ledger().recordArtifact(stored.digest(), kind, stored.sizeBytes(), "{}");
        return new ArtifactRef(stored.digest(), kind, stored.sizeBytes());
    }
}
