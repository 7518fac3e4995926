package dev.lmforge.activities.alignment;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.StageContext;
import dev.lmforge.activities.StageRuntime;
import dev.lmforge.activities.WorkDirectory;
import dev.lmforge.activities.planning.OptimizerSettings;
import dev.lmforge.activities.tokenizer.BpeTokenizer;
import dev.lmforge.activities.training.ComputePrecision;
import dev.lmforge.activities.training.DecoderTrainer;
import dev.lmforge.activities.training.ModelArchive;
import dev.lmforge.activities.training.TrainingCheckpoint;
import dev.lmforge.activities.training.TrainingSetup;
import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.ledger.MetadataStore;
import dev.lmforge.services.ledger.Records.MetricPoint;
import dev.lmforge.workflows.stage.AlignStage;
import dev.lmforge.workflows.stage.AlignStageConfig;
import dev.lmforge.workflows.stage.Stage;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.StageInput;
import dev.lmforge.workflows.stage.StageFailures;
import dev.lmforge.workflows.stage.StageOutput;
import io.temporal.failure.ApplicationFailure;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The align stage on a compute worker; see {@link AlignStage}. It restores the pretrain stage's final checkpoint,
 * refuses a tokenizer without the chat template's tokens, runs {@link SupervisedFineTuner} then
 * {@link DirectPreferenceOptimizer} with the spec's {@link AlignmentSettings}, heartbeats every step, and records
 * {@code sft_loss}, {@code dpo_loss}, {@code reward_margin}, {@code preference_accuracy} and
 * {@code repetition_ratio} in the ledger. A retried attempt starts over: alignment is short next to pretraining.
 */
public final class AlignStageActivities implements AlignStage {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    /** The longest answer the repetition probe lets the model write. */
    private static final int PROBE_TOKENS = 64;

    private final StageRuntime runtime;

    public AlignStageActivities(StageRuntime runtime) {
        this.runtime = runtime;
    }

    /** Where alignment stands, as heartbeated (for the ledger and the console; a retry starts over). */
    public record Progress(String phase, long step, long totalSteps, double loss) {
    }

    @Override
    public Map<String, ArtifactRef> snapshotData(JsonNode configJson) {
        AlignStageConfig config = JSON.convertValue(configJson, AlignStageConfig.class);
        try {
            AlignmentSettings settings = AlignmentSettings.of(config.sft(), config.dpo());
            Map<String, ArtifactRef> data = new LinkedHashMap<>();
            data.put(SFT_DATA, snapshot(SFT_DATA, "sft.data", settings.sftData(), AlignmentData.BUNDLED_SFT,
                    (in, name) -> AlignmentData.readSft(in, name).size()));
            data.put(PREFERENCE_DATA, snapshot(PREFERENCE_DATA, "dpo.data", settings.dpoData(),
                    AlignmentData.BUNDLED_PREFERENCES, (in, name) -> AlignmentData.readPreferences(in, name).size()));
            return data;
        } catch (InvalidInputException e) {
            throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), StageFailures.INVALID_INPUT);
        }
    }

    /**
     * One set, the user's {@code file} or the bundled {@code resource}, read through {@code count} (which refuses a
     * bad line by file and line number) and then stored as a {@code kind} artifact that names its source.
     */
    private ArtifactRef snapshot(String kind, String field, Path file, String resource,
                                 BiFunction<InputStream, String, Integer> count) {
        String source = file == null ? "bundled " + resource : file.toString();
        ArtifactStore.StoredObject stored;
        int records;
        try {
            if (file == null) {
                byte[] bytes = AlignmentData.bundledBytes(resource);
                records = count.apply(new ByteArrayInputStream(bytes), source);
                stored = runtime.artifacts().put(bytes);
            } else {
                try (InputStream in = Files.newInputStream(file)) {
                    records = count.apply(in, source);
                }
                stored = runtime.artifacts().put(file);
            }
        } catch (IOException e) {
            throw new InvalidInputException(field + ": cannot read " + file + ": " + e.getMessage());
        } catch (InvalidInputException e) {
            throw new InvalidInputException(field + ": " + e.getMessage());
        }
        runtime.ledger().recordArtifact(stored.digest(), kind, stored.sizeBytes(),
                MetadataStore.toJson(Map.of("source", source, "records", records)));
        return new ArtifactRef(stored.digest(), kind, stored.sizeBytes());
    }

    private static <T> List<T> readSnapshot(StageContext context, String name, BiFunction<InputStream, String, List<T>> read)
            throws IOException {
        ArtifactRef ref = context.input().inputs().get(name);
        try (InputStream in = context.artifacts().open(ref.digest())) {
            return read.apply(in, name + " " + ref.digest());
        }
    }

    /** What the report and the model's metadata name as a data set: its digest, or (before snapshots) its path. */
    private static String dataSource(StageContext context, String name, Path file, String resource) {
        ArtifactRef ref = context.input().inputs().get(name);
        if (ref != null) {
            return "sha256:" + ref.digest();
        }
        return file == null ? "bundled " + resource : file.toString();
    }

    @Override
    public StageOutput align(StageInput input) {
        AlignStageConfig config = JSON.convertValue(input.config(), AlignStageConfig.class);
        AlignmentSettings settings = AlignmentSettings.of(config.sft(), config.dpo());
        return StageContext.run(runtime, input, Progress.class, context -> {
            ArtifactRef checkpointRef = context.requireInput("checkpoint", "pretrain");
            ArtifactRef tokenizerRef = context.requireInput("tokenizer", "tokenizer");
            // Runs recorded before alignment data was snapshotted hand no data inputs: they read the files here.
            List<SftExample> sftData = context.input().inputs().containsKey(SFT_DATA)
                    ? readSnapshot(context, SFT_DATA, AlignmentData::readSft)
                    : settings.sftData() == null ? AlignmentData.bundledSft() : AlignmentData.readSft(settings.sftData());
            List<List<PreferencePair>> pairs = settings.split(context.input().inputs().containsKey(PREFERENCE_DATA)
                    ? readSnapshot(context, PREFERENCE_DATA, AlignmentData::readPreferences)
                    : settings.dpoData() == null ? AlignmentData.bundledPreferences()
                    : AlignmentData.readPreferences(settings.dpoData()));
            Path work = Files.createTempDirectory("lmforge-align");
            try {
                Path variables = work.resolve("base");
                TrainingCheckpoint base;
                try (InputStream in = context.artifacts().open(checkpointRef.digest())) {
                    base = TrainingCheckpoint.unpack(in, variables);
                }
                Path tokenizerFile = work.resolve(BpeTokenizer.FILE_NAME);
                context.artifacts().download(tokenizerRef.digest(), tokenizerFile);
                BpeTokenizer tokenizer = BpeTokenizer.load(tokenizerFile);
                if (tokenizer.vocabularySize() != base.shape().vocab()) {
                    throw new InvalidInputException("the tokenizer has " + tokenizer.vocabularySize()
                            + " ids but the checkpoint's model has a vocabulary of " + base.shape().vocab());
                }
                ChatTemplate template = new ChatTemplate(tokenizer);
                TrainingSetup setup = new TrainingSetup(base.shape(), OptimizerSettings.paper(),
                        settings.batchSequences(), 1, ComputePrecision.FLOAT32, base.seed(),
                        Runtime.getRuntime().availableProcessors(), null);
                try (DecoderTrainer trainer = new DecoderTrainer(setup)) {
                    trainer.restore(variables);
                    return align(context, settings, trainer, template, sftData, pairs, base, checkpointRef,
                            tokenizerFile, work);
                }
            } finally {
                WorkDirectory.delete(work);
            }
        });
    }

    private StageOutput align(StageContext context, AlignmentSettings settings, DecoderTrainer trainer,
                              ChatTemplate template, List<SftExample> sftData, List<List<PreferencePair>> pairs,
                              TrainingCheckpoint base, ArtifactRef baseRef, Path tokenizerFile, Path work)
            throws Exception {
        Map<String, List<MetricPoint>> losses = new LinkedHashMap<>();
        long[] offset = {0};
        AlignmentProgress progress = (phase, step, total, loss) -> {
            String metric = phase.equals("dpo") ? "dpo_loss" : "sft_loss";
            losses.computeIfAbsent(metric, m -> new ArrayList<>()).add(new MetricPoint(offset[0] + step, loss));
            context.heartbeat(new Progress(phase, step, total, loss));
        };
        List<SupervisedFineTuner.StageResult> sft = new SupervisedFineTuner(trainer, template, settings.sft(),
                new RepetitionProbe(template, PROBE_TOKENS)).train(sftData, work.resolve("probe"), progress);
        for (int i = 0; i < sft.size(); i++) {
            offset[0] += sft.get(i).steps();
            context.metric("repetition_ratio", offset[0], sft.get(i).repetition().ratio());
        }
        DirectPreferenceOptimizer.Result dpo = new DirectPreferenceOptimizer(trainer, template, settings.dpo())
                .train(pairs.get(0), pairs.get(1), progress);
        context.metric("reward_margin", offset[0], dpo.heldOutBefore().rewardMargin());
        context.metric("preference_accuracy", offset[0], dpo.heldOutBefore().preferenceAccuracy());
        long last = offset[0] + dpo.steps();
        context.metric("reward_margin", last, dpo.heldOutAfter().rewardMargin());
        context.metric("preference_accuracy", last, dpo.heldOutAfter().preferenceAccuracy());
        losses.forEach(context::metrics);

        Map<String, Object> report = new LinkedHashMap<>();
        report.put("format", "lmforge-alignment-report-v1");
        report.put("baseCheckpoint", baseRef.digest());
        report.put("sftData", dataSource(context, SFT_DATA, settings.sftData(), AlignmentData.BUNDLED_SFT));
        report.put("dpoData", dataSource(context, PREFERENCE_DATA, settings.dpoData(), AlignmentData.BUNDLED_PREFERENCES));
        report.put("settings", settings);
        report.put("sft", sft);
        report.put("dpo", dpo);
        byte[] reportBytes = JSON.writeValueAsBytes(report);

        SupervisedFineTuner.StageResult lastSft = sft.get(sft.size() - 1);
        Path saved = work.resolve("aligned");
        trainer.save(saved);
        Path checkpointZip = work.resolve("checkpoint.zip");
        new TrainingCheckpoint(trainer.step(), 0, base.tokens(), base.shape(), settings.batchSequences(),
                settings.dpo().learningRate(), dpo.steps(), settings.dpo().shape().name().toLowerCase(Locale.ROOT), base.seed(),
                dpo.lastTrainLoss(), false).pack(saved, checkpointZip);
        Map<String, Object> lineage = Map.of("base", baseRef.digest(), "sftData", report.get("sftData"),
                "dpoData", report.get("dpoData"));
        Map<String, ArtifactRef> outputs = new LinkedHashMap<>();
        outputs.put(MODEL_OUTPUT, context.putArtifact(exportModel(trainer, base, baseRef, tokenizerFile, reportBytes, work),
                "model", Map.of("format", "tensorflow-saved-model+tokenizer", "aligned", true, "lineage", lineage)));
        outputs.put(CHECKPOINT_OUTPUT, context.putArtifact(checkpointZip, "checkpoint",
                Map.of("step", trainer.step(), "aligned", true, "lineage", lineage)));
        outputs.put(Stage.REPORT_OUTPUT, context.putArtifact(reportBytes, "alignment-report", lineage));

        Map<String, Double> summary = new LinkedHashMap<>();
        summary.put("sftSteps", (double) offset[0]);
        summary.put("responseLossBefore", sft.get(0).responseLossBefore());
        summary.put("responseLossAfter", lastSft.responseLossAfter());
        summary.put("repetitionRatio", lastSft.repetition().ratio());
        summary.put("dpoSteps", (double) dpo.steps());
        summary.put("dpoLoss", dpo.heldOutAfter().loss());
        summary.put("rewardMargin", dpo.heldOutAfter().rewardMargin());
        summary.put("preferenceAccuracy", dpo.heldOutAfter().preferenceAccuracy());
        return new StageOutput(outputs, summary);
    }

    /** The aligned model as pretraining exports one: the SavedModel, the tokenizer, and a description. */
    private static Path exportModel(DecoderTrainer trainer, TrainingCheckpoint base, ArtifactRef baseRef,
                                    Path tokenizerFile, byte[] report, Path work) throws IOException {
        Path dir = work.resolve("model");
        trainer.exportSavedModel(dir.resolve("saved_model"));
        Files.copy(tokenizerFile, dir.resolve(BpeTokenizer.FILE_NAME));
        Map<String, Object> description = new LinkedHashMap<>();
        description.put("format", "lmforge-model-v1");
        description.put("shape", base.shape());
        description.put("steps", trainer.step());
        description.put("aligned", true);
        description.put("base", baseRef.digest());
        Files.write(dir.resolve("model.json"), JSON.writeValueAsBytes(description));
        Files.write(dir.resolve("alignment-report.json"), report);
        return ModelArchive.zip(dir, work.resolve("model.zip"));
    }
}
