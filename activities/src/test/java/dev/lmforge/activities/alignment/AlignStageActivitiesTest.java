package dev.lmforge.activities.alignment;

import dev.lmforge.activities.RealStageRuntime;
import dev.lmforge.activities.StageRuntime;
import dev.lmforge.activities.model.DecoderTrainer;
import dev.lmforge.activities.model.LanguageModel;
import dev.lmforge.activities.model.TrainingCheckpoint;
import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.tokenizer.BpeTrainer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.artifacts.Digests;
import dev.lmforge.services.ledger.Records.CheckpointRecord;
import dev.lmforge.services.ledger.Records.MetricPoint;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The align stage against a real PostgreSQL and S3 server, through Temporal's activity test environment: SFT then
 * DPO on the bundled sets from a tiny base checkpoint, its outputs readable as pretraining's are, and its figures
 * in the ledger; SFT starts from the base's weights with fresh AdamW moments; a retry handed a mid-SFT or mid-DPO
 * checkpoint, or finding a corrupt newest one, ends with the uninterrupted run's final checkpoint, byte for byte;
 * a tokenizer without the chat template's role tokens is refused by name.
 */
class AlignStageActivitiesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** A checkpoint every 5 steps (none by time), all kept, one thread: a retry matches bit for bit. */
    private static final AlignStageActivities.Checkpointing EVERY_5_STEPS =
            new AlignStageActivities.Checkpointing(Duration.ofHours(1), 5, 100, 1);

    @TempDir
    static Path dir;
    static RealStageRuntime stack;
    static StageRuntime runtime;
    static Path baseVariables;
    static ArtifactRef checkpoint;
    static JsonNode sft;
    static JsonNode dpo;
    /** Two-stage SFT (24 + 16 steps), then DPO (24 steps), uninterrupted, with key {@code key-uninterrupted}. */
    static StageOutput uninterrupted;
    static String uninterruptedRun;
    static int runs;

    @BeforeAll
    static void storeABaseModelAndAlignItOnce() throws Exception {
        stack = new RealStageRuntime(dir);
        runtime = stack.runtime();
        // A base that has trained (3 steps on the chat text, every token weighted): its AdamW moments are not zero.
        baseVariables = dir.resolve("base");
        ChatTemplate template = new ChatTemplate(TinyChatModels.tokenizer());
        try (DecoderTrainer trainer = new DecoderTrainer(TinyChatModels.setup(8))) {
            TrainingRows rows = TrainingRows.of(AlignmentData.bundledSft().stream().map(template::encode).toList(),
                    TinyChatModels.SEQ_LEN, template.padding());
            for (int step = 0; step < 3; step++) {
                TrainingRows batch = rows.select(TrainingRows.range(8 * step, 8 * step + 8));
                trainer.step(batch.tokens(), null, 1e-2);
            }
            trainer.save(baseVariables);
        }
        Path zip = dir.resolve("base.zip");
        new TrainingCheckpoint(3, 0, 3 * 8 * TinyChatModels.SEQ_LEN, TinyChatModels.setup(8).shape(), 8, 1e-2, 3,
                "cosine", 11, 0, false).pack(baseVariables, zip);
        checkpoint = store(Files.readAllBytes(zip), "checkpoint");

        sft = JSON.readTree("{\"epochs\": 2, \"learningRate\": 0.01, \"twoStage\": true}");
        dpo = JSON.readTree("{\"epochs\": 2, \"learningRate\": 0.003, \"beta\": 0.1}");
        uninterrupted = align(sft, dpo, "key-uninterrupted", null);
        uninterruptedRun = "align-" + runs;
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    @Test
    void alignsTheBaseModelAndRecordsItsFigures() throws Exception {
        StageOutput out = uninterrupted;
        assertEquals(Set.of("model", "checkpoint", "report"), out.outputs().keySet());
        assertTrue(out.summary().get("responseLossAfter") < out.summary().get("responseLossBefore"));
        assertTrue(out.summary().get("rewardMargin") > 0, "margin " + out.summary().get("rewardMargin"));
        assertEquals(24 + 16, out.summary().get("sftSteps"));
        Map<String, Long> series = runtime.ledger().metrics().metricSummaries(uninterruptedRun).stream()
                .collect(Collectors.toMap(MetricSummary::name, MetricSummary::points));
        assertEquals(Map.of("sft_loss", 40L, "dpo_loss", 24L, "repetition_ratio", 2L, "reward_margin", 2L,
                "preference_accuracy", 2L), series);

        Path unpacked = dir.resolve("aligned-" + uninterruptedRun);
        try (InputStream in = runtime.artifacts().open(out.outputs().get("checkpoint").digest())) {
            TrainingCheckpoint state = TrainingCheckpoint.unpack(in, unpacked);
            assertEquals(TinyChatModels.setup(8).shape(), state.shape());
            assertEquals(24 + 16 + 24, state.step(), "alignment's own steps, none of the base's 3");
            try (LanguageModel model = state.languageModel(unpacked, 1)) {
                assertEquals(TinyChatModels.SEQ_LEN, model.contextLength());
            }
        }
        // Every 5 steps but at a phase's last, after each phase (24: into sft-conversational, 40: into DPO), the end.
        assertEquals(List.of(64L, 60L, 55L, 50L, 45L, 40L, 35L, 30L, 25L, 24L, 20L, 15L, 10L, 5L),
                runtime.ledger().artifacts().checkpoints("key-uninterrupted").stream().map(CheckpointRecord::step).toList());
    }

    @Test
    void sftStartsFromTheBaseWeightsWithFreshMomentsAndStepZero() throws Exception {
        JsonNode oneStage = JSON.readTree("{\"epochs\": 1, \"learningRate\": 0.01}");
        JsonNode oneEpoch = JSON.readTree("{\"epochs\": 1, \"learningRate\": 0.003}");
        align(oneStage, oneEpoch, "key-fresh-moments", null);
        List<Double> recorded = runtime.ledger().metrics().metricSeries("align-" + runs, "align", "sft_loss", 1000).stream()
                .map(MetricPoint::value).toList();

        AlignmentSettings settings = AlignmentSettings.of(oneStage, oneEpoch);
        List<Double> weightsOnly = sftLosses(settings, trainer -> trainer.restoreWeights(baseVariables));
        assertEquals(12, recorded.size());
        assertEquals(weightsOnly, recorded, "the SFT of a trainer given the base's weights alone, from step 0");
        List<Double> inherited = sftLosses(settings, trainer -> trainer.restore(baseVariables));
        assertEquals(inherited.get(0), recorded.get(0), "the same weights score the first batch alike");
        assertNotEquals(inherited.get(1), recorded.get(1), "the base's moments and step would change the first update");
    }

    @Test
    void aRetryFindingAMidSftCheckpointInTheLedgerEndsAsTheUninterruptedRun() throws Exception {
        // A lost attempt's checkpoints: in the ledger under its cache key, the newest mid-way through SFT's 2nd epoch.
        runtime.ledger().runs().createRun(new NewRun("align-lost", "t", null, "alice", "{}", "", List.of(), null));
        for (long step : new long[] {10, 15}) {
            runtime.ledger().artifacts().recordCheckpoint("key-lost-in-sft", step, "periodic", checkpointAt(step), "align-lost");
        }
        AlignStageActivities.Checkpointing keepTwo =
                new AlignStageActivities.Checkpointing(Duration.ofHours(1), 5, 2, 1);
        StageOutput retry = align(sft, dpo, "key-lost-in-sft", null, keepTwo);
        assertEquals(15, retry.summary().get("resumedFromStep"));
        assertSameEnd(retry, "align-" + runs);
        // Pruned to the newest two periodic ones and the final; step 15's bytes stay, as the first run holds them.
        assertEquals(List.of("64 final", "60 periodic", "55 periodic"), runtime.ledger().artifacts().checkpoints("key-lost-in-sft")
                .stream().map(c -> c.step() + " " + c.role()).toList());
        assertTrue(runtime.artifacts().size(checkpointAt(15)).isPresent());
    }

    @Test
    void aRetryHandedAMidDpoCheckpointEndsAsTheUninterruptedRun() throws Exception {
        String handed = checkpointAt(50);
        StageOutput retry = align(sft, dpo, "key-handed-in-dpo",
                new AlignStageActivities.Progress("dpo", 10, 24, 0.5, handed, 50));
        assertEquals(50, retry.summary().get("resumedFromStep"));
        assertSameEnd(retry, "align-" + runs);
    }

    @Test
    void aCorruptNewestCheckpointIsSkippedForTheOneBeforeIt() throws Exception {
        ArtifactRef last = uninterrupted.outputs().get("checkpoint");
        stack.withCorruptArtifact(last.digest(), () -> {
            StageOutput retry = align(sft, dpo, "key-uninterrupted", null);
            assertEquals(60, retry.summary().get("resumedFromStep"), "the final checkpoint at 64 is corrupt");
            assertSameEnd(retry, "align-" + runs);
        });
    }

    /** The same final checkpoint and report bytes as the uninterrupted run, and the same losses step for step. */
    private static void assertSameEnd(StageOutput retry, String retryRun) {
        assertEquals(uninterrupted.outputs().get("checkpoint").digest(), retry.outputs().get("checkpoint").digest(),
                "the final checkpoints are equal");
        assertEquals(uninterrupted.outputs().get("report").digest(), retry.outputs().get("report").digest());
        assertEquals(uninterrupted.summary().get("rewardMargin"), retry.summary().get("rewardMargin"));
        for (String series : List.of("sft_loss", "dpo_loss", "repetition_ratio", "reward_margin")) {
            assertEquals(runtime.ledger().metrics().metricSeries(uninterruptedRun, "align", series, 1000),
                    runtime.ledger().metrics().metricSeries(retryRun, "align", series, 1000), series);
        }
    }

    private static String checkpointAt(long step) {
        return runtime.ledger().artifacts().checkpoints("key-uninterrupted").stream().filter(c -> c.step() == step)
                .findFirst().orElseThrow(() -> new AssertionError("no checkpoint at step " + step)).digest();
    }

    /** Every SFT loss of one-stage {@code settings} on a trainer that {@code restore} readies. */
    private static List<Double> sftLosses(AlignmentSettings settings, Consumer<DecoderTrainer> restore) {
        List<Double> losses = new ArrayList<>();
        ChatTemplate template = new ChatTemplate(TinyChatModels.tokenizer());
        try (DecoderTrainer trainer = new DecoderTrainer(TinyChatModels.setup(8))) {
            restore.accept(trainer);
            new SupervisedFineTuner(trainer, template, settings.sft(), new RepetitionProbe(template, 4))
                    .stage(PhasePosition.start(PhasePosition.SFT), AlignmentData.bundledSft(),
                            dir.resolve("probe-" + System.nanoTime()), (position, total, loss) -> losses.add(loss));
        }
        return losses;
    }

    @Test
    void theDataIsSnapshottedByDigestAndABadLineIsRefusedWithItsFileAndLine() throws Exception {
        Map<String, ArtifactRef> bundled = snapshot(null, null);
        assertEquals(Set.of("sft-data", "preference-data"), bundled.keySet());
        assertEquals(Digests.sha256(AlignmentData.bundledBytes(AlignmentData.BUNDLED_SFT)), bundled.get("sft-data").digest());
        assertEquals(bundled, snapshot(null, null), "unchanged data, the same digests: the stage's cache key holds");
        assertTrue(runtime.ledger().artifacts().artifact(bundled.get("preference-data").digest()).orElseThrow().metadata()
                .contains("\"records\": 64"));

        Path mine = dir.resolve("mine.jsonl");
        Files.writeString(mine, BundledSetGenerator.sftJsonl(1, 2) + "{not json\n");
        JsonNode sft = JSON.readTree("{\"data\": \"" + mine + "\"}");
        ActivityFailure failure = assertThrows(ActivityFailure.class, () -> snapshot(sft, null));
        assertTrue(failure.getCause().getMessage().contains("sft.data: " + mine + ":3: not JSON"), failure.getCause().getMessage());

        Files.writeString(mine, BundledSetGenerator.sftJsonl(1, 2));
        ArtifactRef edited = snapshot(sft, null).get("sft-data");
        assertEquals(Digests.sha256(Files.readAllBytes(mine)), edited.digest());
        assertTrue(runtime.ledger().artifacts().artifact(edited.digest()).orElseThrow().metadata().contains(mine.toString()));
    }

    @Test
    void refusesATokenizerWithoutTheRoleTokens() {
        BpeTrainer trainer = new BpeTrainer(TinyChatModels.tokenizer().vocabularySize(),
                List.of("<|bos|>", "<|eos|>", "<|pad|>", "<|a|>", "<|b|>", "<|c|>"));
        trainer.addText(BundledSetGenerator.sftJsonl(1, 50));
        // Without data inputs, as runs recorded before the snapshot step: the bundled sets are read in place.
        ActivityFailure failure = assertThrows(ActivityFailure.class, () -> align(null, null, trainer.train(), Map.of(),
                "key-no-role-tokens", null, EVERY_5_STEPS));
        assertTrue(failure.getCause().getMessage().contains("the tokenizer lacks the chat template's special tokens "
                + "[<|system|>, <|user|>, <|assistant|>]"), failure.getCause().getMessage());
    }

    /** The stage as the lifecycle runs it (its data snapshotted first, then read by digest), as a new run. */
    private static StageOutput align(JsonNode sft, JsonNode dpo, String cacheKey,
                                     AlignStageActivities.Progress heartbeat) throws Exception {
        return align(sft, dpo, cacheKey, heartbeat, EVERY_5_STEPS);
    }

    private static StageOutput align(JsonNode sft, JsonNode dpo, String cacheKey,
                                     AlignStageActivities.Progress heartbeat,
                                     AlignStageActivities.Checkpointing checkpointing) throws Exception {
        return align(sft, dpo, TinyChatModels.tokenizer(), snapshot(sft, dpo), cacheKey, heartbeat, checkpointing);
    }

    private static Map<String, ArtifactRef> snapshot(JsonNode sft, JsonNode dpo) {
        TestActivityEnvironment env = TestActivityEnvironment.newInstance();
        try {
            env.registerActivitiesImplementations(new AlignStageActivities(runtime));
            return env.newActivityStub(AlignStage.class, ActivityOptions.newBuilder()
                    .setStartToCloseTimeout(Duration.ofMinutes(1)).build())
                    .snapshotData("run-test", JSON.valueToTree(new AlignStageConfig(sft, dpo)));
        } finally {
            env.close();
        }
    }

    private static StageOutput align(JsonNode sft, JsonNode dpo, BpeTokenizer tokenizer, Map<String, ArtifactRef> data,
                                     String cacheKey, AlignStageActivities.Progress heartbeat,
                                     AlignStageActivities.Checkpointing checkpointing) throws Exception {
        String runId = "align-" + ++runs;
        Map<String, ArtifactRef> inputs = new LinkedHashMap<>(data);
        inputs.put("checkpoint", checkpoint);
        inputs.put("tokenizer", store(Files.readAllBytes(tokenizer.save(dir.resolve("tokenizer-" + runId))),
                "tokenizer"));
        runtime.ledger().runs().createRun(new NewRun(runId, "t", null, "alice", "{}", "", List.of(), null));
        Map<String, String> digests = new LinkedHashMap<>();
        inputs.forEach((name, ref) -> digests.put(name, ref.digest()));
        long row = runtime.ledger().runs().beginStage(runId, "align", 1, cacheKey, "{}", digests, null);
        StageInput input = new StageInput(runId, row, "align", JSON.valueToTree(new AlignStageConfig(sft, dpo)),
                inputs);
        TestActivityEnvironment env = TestActivityEnvironment.newInstance();
        try {
            env.registerActivitiesImplementations(new AlignStageActivities(runtime, checkpointing));
            if (heartbeat != null) {
                env.setHeartbeatDetails(heartbeat);
            }
            return env.newActivityStub(AlignStage.class, ActivityOptions.newBuilder()
                    .setStartToCloseTimeout(Duration.ofMinutes(5)).build()).align(input);
        } finally {
            env.close();
        }
    }

    private static ArtifactRef store(byte[] bytes, String kind) {
        ArtifactStore.StoredObject stored = runtime.artifacts().put(bytes);
        runtime.ledger().artifacts().recordArtifact(stored.digest(), kind, stored.sizeBytes(), "{}");
        return new ArtifactRef(stored.digest(), kind, stored.sizeBytes());
    }
}
