package dev.lmforge.activities.alignment;

import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.Producer;
import dev.lmforge.activities.StageContext;
import dev.lmforge.activities.StageRuntime;
import dev.lmforge.activities.model.CheckpointUploader;
import dev.lmforge.activities.model.ComputePrecision;
import dev.lmforge.activities.model.DecoderTrainer;
import dev.lmforge.activities.model.ModelArchive;
import dev.lmforge.activities.model.OptimizerSettings;
import dev.lmforge.activities.model.TrainingCheckpoint;
import dev.lmforge.activities.model.TrainingSetup;
import dev.lmforge.activities.text.BpeTokenizer;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.ledger.LedgerJson;
import dev.lmforge.services.ledger.Records.MetricPoint;
import dev.lmforge.workflows.stage.AlignStage;
import dev.lmforge.workflows.stage.AlignStageConfig;
import dev.lmforge.workflows.stage.Outputs;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.function.BiFunction;

/**
 * The align stage on a compute worker; see {@link AlignStage}. It takes the pretrain stage's final checkpoint's
 * weights (with fresh AdamW moments and step 0), refuses a tokenizer without the chat template's tokens, runs
 * {@link SupervisedFineTuner} then {@link DirectPreferenceOptimizer} with the spec's {@link AlignmentSettings},
 * heartbeats every step, and records {@code sft_loss}, {@code dpo_loss}, {@code reward_margin},
 * {@code preference_accuracy} and {@code repetition_ratio} in the ledger.
 *
 * <p>As pretraining does, it checkpoints in the background (the trainer's variables with an {@link AlignmentState}:
 * phase, step and the figures so far) every few minutes or steps and after each phase, records the checkpoints
 * under the stage's cache key, and prunes old ones. Any attempt starts from the newest readable checkpoint of its
 * cache key (a corrupt one skipped) and ends with the same final checkpoint, bit for bit, as an uninterrupted run
 * on as many threads.
 */
public final class AlignStageActivities implements AlignStage {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    /** The longest answer the repetition probe lets the model write. */
    private static final int PROBE_TOKENS = 64;

    private final StageRuntime runtime;
    private final Checkpointing checkpointing;

    /** Alignment as a compute worker runs it: {@link Checkpointing#defaults()}. */
    public AlignStageActivities(StageRuntime runtime) {
        this(runtime, Checkpointing.defaults());
    }

    public AlignStageActivities(StageRuntime runtime, Checkpointing checkpointing) {
        this.runtime = runtime;
        this.checkpointing = checkpointing;
    }

    /**
     * When alignment checkpoints, and on how many threads it trains. The spec's {@code training} section does not
     * reach the align stage (its config is {@code sft} and {@code dpo} only), so these are the worker's.
     *
     * @param every      a checkpoint after the first step at least this long after the previous one
     * @param everySteps also one after every this many trainer steps; null for by time only
     * @param keep       periodic checkpoints kept per cache key
     * @param threads    TensorFlow's intra-op threads; a retry matches bit for bit on as many
     */
    public record Checkpointing(Duration every, Integer everySteps, int keep, int threads) {

        public Checkpointing {
            if (every == null || every.isNegative() || every.isZero()) {
                throw new IllegalArgumentException("every must be a positive duration, not " + every);
            }
            if (everySteps != null && everySteps < 1) {
                throw new IllegalArgumentException("everySteps must be at least 1, not " + everySteps);
            }
            if (keep < 1 || threads < 1) {
                throw new IllegalArgumentException("keep and threads must be at least 1, not " + keep + " and "
                        + threads);
            }
        }

        /** The paper's interval (5 minutes), pretraining's retention, every core. */
        public static Checkpointing defaults() {
            return new Checkpointing(CheckpointUploader.PAPER_INTERVAL, null, CheckpointUploader.DEFAULT_KEEP,
                    Runtime.getRuntime().availableProcessors());
        }
    }

    /**
     * Where alignment stands, as heartbeated: the phase and its step, and the newest checkpoint (a retry starts
     * there, or at a newer one the ledger knows).
     */
    public record Progress(String phase, long step, long totalSteps, double loss, String checkpoint,
                           long checkpointStep) {
    }

    @Override
    public Map<String, ArtifactRef> snapshotData(String runId, JsonNode configJson) {
        AlignStageConfig config = JSON.convertValue(configJson, AlignStageConfig.class);
        try {
            AlignmentSettings settings = AlignmentSettings.of(config.sft(), config.dpo()).confined((field, path) -> runtime.readable(runId, field, path));
            Map<String, ArtifactRef> data = new LinkedHashMap<>();
            data.put(Outputs.SFT_DATA, snapshot(runId, Outputs.SFT_DATA, "sft.data", settings.sftData(),
                    AlignmentData.BUNDLED_SFT,
                    (in, name) -> AlignmentData.readSft(in, name).size()));
            data.put(Outputs.PREFERENCE_DATA, snapshot(runId, Outputs.PREFERENCE_DATA, "dpo.data", settings.dpoData(),
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
    private ArtifactRef snapshot(String runId, String kind, String field, Path file, String resource,
                                 BiFunction<InputStream, String, Integer> count) {
        String source = file == null ? "bundled " + resource : file.toString();
        ArtifactStore.StoredObject stored;
        int records;
        try {
            if (file == null) {
                byte[] bytes = AlignmentData.bundledBytes(resource);
                records = count.apply(new ByteArrayInputStream(bytes), source);
                stored = runtime.store(bytes, kind, snapshotOf(runId));
            } else {
                try (InputStream in = runtime.open(runId, field, file)) {
                    records = count.apply(in, source);
                }
                try (InputStream in = runtime.open(runId, field, file)) {
                    stored = runtime.store(in, file.getFileName().toString(), kind, snapshotOf(runId));
                }
            }
        } catch (IOException e) {
            throw new InvalidInputException(field + ": cannot read " + file + ": " + e.getMessage());
        } catch (InvalidInputException e) {
            throw new InvalidInputException(field + ": " + e.getMessage());
        }
        runtime.ledger().artifacts().recordArtifact(stored.digest(), kind, stored.sizeBytes(),
                LedgerJson.toJson(Map.of("source", source, "records", records)));
        return new ArtifactRef(stored.digest(), kind, stored.sizeBytes());
    }

    /** A snapshot's writer: the align stage of {@code runId}, before that stage has a row (its inputs decide it). */
    private static Producer snapshotOf(String runId) {
        return new Producer(runId, Stage.ALIGN.id(), null);
    }

    private static <T> List<T> readSnapshot(StageContext context, String name, BiFunction<InputStream, String, List<T>> read)
            throws IOException {
        ArtifactRef ref = context.input().inputs().get(name);
        try (InputStream in = context.artifacts().open(ref.digest())) {
            return read.apply(in, name + " " + ref.digest());
        }
    }

    private <T> List<T> readConfined(String runId, String field, Path file,
                                     BiFunction<InputStream, String, List<T>> read) throws IOException {
        try (InputStream in = runtime.open(runId, field, file)) {
            return read.apply(in, file.toString());
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
            ArtifactRef checkpointRef = context.requireInput(Outputs.CHECKPOINT);
            ArtifactRef tokenizerRef = context.requireInput(Outputs.TOKENIZER);
            // Runs recorded before alignment data was snapshotted hand no data inputs: they read the files here.
            List<SftExample> sftData = context.input().inputs().containsKey(Outputs.SFT_DATA)
                    ? readSnapshot(context, Outputs.SFT_DATA, AlignmentData::readSft)
                    : settings.sftData() == null ? AlignmentData.bundledSft()
                    : readConfined(input.runId(), "sft.data", settings.sftData(), AlignmentData::readSft);
            List<List<PreferencePair>> pairs = settings.split(
                    context.input().inputs().containsKey(Outputs.PREFERENCE_DATA)
                    ? readSnapshot(context, Outputs.PREFERENCE_DATA, AlignmentData::readPreferences)
                    : settings.dpoData() == null ? AlignmentData.bundledPreferences()
                    : readConfined(input.runId(), "dpo.data", settings.dpoData(), AlignmentData::readPreferences));
            String cacheKey = context.ledger().runs().stage(input.stageRowId()).orElseThrow().cacheKey();
            Path work = context.workDirectory();
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
                    checkpointing.threads(), null);
            Optional<CheckpointUploader.Found> resumed = CheckpointUploader.newestReadable(context, cacheKey,
                    context.checkpoint(Progress.class).map(Progress::checkpoint).orElse(null),
                    work.resolve("resume"));
            try (DecoderTrainer trainer = new DecoderTrainer(setup);
                 CheckpointUploader uploader = new CheckpointUploader(context, cacheKey, checkpointing.keep())) {
                if (resumed.isPresent()) {
                    trainer.restore(resumed.get().variables());
                } else {
                    // SFT is a run of its own on the pretrained model: its weights, but fresh AdamW moments
                    // and step 0, so its schedule and bias correction start over.
                    trainer.restoreWeights(variables);
                }
                return new Attempt(context, settings, trainer, uploader, base, checkpointRef, resumed.orElse(null),
                        work).run(template, sftData, pairs, tokenizerFile);
            }
        });
    }

    /**
     * One attempt's alignment: it continues from a checkpoint's {@link AlignmentState} (or the start), gathers the
     * losses, heartbeats and checkpoints as it steps, and at each phase boundary and the end.
     */
    private final class Attempt {

        private final StageContext context;
        private final AlignmentSettings settings;
        private final DecoderTrainer trainer;
        private final CheckpointUploader uploader;
        private final TrainingCheckpoint base;
        private final ArtifactRef baseRef;
        private final CheckpointUploader.Found resumed;
        private final Path work;
        private final AlignmentState start;
        private final List<SupervisedFineTuner.StageResult> sft;
        private final Map<String, List<MetricPoint>> losses = new LinkedHashMap<>();
        private long trainerStep;
        private long lastCheckpoint = System.nanoTime();
        /** The phase that stepped last: what a checkpoint's record names as its schedule, and its last loss. */
        private double peakLearningRate;
        private long phaseSteps;
        private String schedule;
        private double loss;

        Attempt(StageContext context, AlignmentSettings settings, DecoderTrainer trainer, CheckpointUploader uploader,
                TrainingCheckpoint base, ArtifactRef baseRef, CheckpointUploader.Found resumed, Path work)
                throws IOException {
            this.context = context;
            this.settings = settings;
            this.trainer = trainer;
            this.uploader = uploader;
            this.base = base;
            this.baseRef = baseRef;
            this.resumed = resumed;
            this.work = work;
            this.start = resumed == null ? AlignmentState.start() : stateOf(resumed);
            this.sft = new ArrayList<>(start.sft());
            start.losses().forEach((name, points) -> losses.put(name, new ArrayList<>(points)));
            this.trainerStep = trainer.step();
            if (resumed != null) {
                peakLearningRate = resumed.state().peakLearningRate();
                phaseSteps = resumed.state().totalSteps();
                schedule = resumed.state().schedule();
                loss = resumed.state().loss();
            }
        }

        StageOutput run(ChatTemplate template, List<SftExample> sftData, List<List<PreferencePair>> pairs,
                        Path tokenizerFile) throws Exception {
            SupervisedFineTuner tuner = new SupervisedFineTuner(trainer, template, settings.sft(),
                    new RepetitionProbe(template, PROBE_TOKENS));
            List<String> phases = tuner.phases();
            for (int i = sft.size(); i < phases.size(); i++) {
                PhasePosition from = start.position().phase().equals(phases.get(i)) ? start.position()
                        : PhasePosition.start(phases.get(i));
                sft.add(tuner.stage(from, sftData, work.resolve("probe"), this::stepped));
                String next = i + 1 < phases.size() ? phases.get(i + 1) : PhasePosition.DPO;
                checkpoint(PhasePosition.start(next), null, Map.of());
            }
            DirectPreferenceOptimizer.Result dpo = start.dpo() != null ? start.dpo()
                    : new DirectPreferenceOptimizer(trainer, template, settings.dpo()).train(pairs.get(0), pairs.get(1),
                    start.position().phase().equals(PhasePosition.DPO) ? start.position()
                            : PhasePosition.start(PhasePosition.DPO), this::stepped);
            Map<String, Object> lineage = Map.of("base", baseRef.digest(),
                    "sftData", dataSource(context, Outputs.SFT_DATA, settings.sftData(), AlignmentData.BUNDLED_SFT),
                    "dpoData", dataSource(context, Outputs.PREFERENCE_DATA, settings.dpoData(),
                            AlignmentData.BUNDLED_PREFERENCES));
            Future<CheckpointUploader.Uploaded> last = checkpoint(PhasePosition.start(PhasePosition.DONE), dpo,
                    Map.of("aligned", true, "lineage", lineage));
            return outputs(dpo, lineage, last, tokenizerFile);
        }

        /** After each SFT or DPO step: the loss, a periodic checkpoint when one is due, a heartbeat. */
        private void stepped(PhasePosition position, long totalSteps, double stepLoss) {
            trainerStep++;
            boolean dpo = position.phase().equals(PhasePosition.DPO);
            losses.computeIfAbsent(dpo ? "dpo_loss" : "sft_loss", m -> new ArrayList<>())
                    .add(new MetricPoint(trainerStep, stepLoss));
            peakLearningRate = dpo ? settings.dpo().learningRate() : settings.sft().learningRate();
            schedule = (dpo ? settings.dpo().shape() : settings.sft().shape()).name().toLowerCase(Locale.ROOT);
            phaseSteps = totalSteps;
            loss = stepLoss;
            boolean due = System.nanoTime() - lastCheckpoint >= checkpointing.every().toNanos()
                    || (checkpointing.everySteps() != null && trainerStep % checkpointing.everySteps() == 0);
            // The phase's last step is followed by its boundary checkpoint (or the final one) instead.
            if (due && position.step() < totalSteps) {
                checkpoint(position, null, Map.of());
            }
            CheckpointUploader.Uploaded newest = uploader.newest();
            String checkpoint = newest != null ? newest.artifact().digest() : resumed != null ? resumed.digest() : null;
            long checkpointStep = newest != null ? newest.state().step() : resumed != null ? resumed.state().step() : 0;
            context.heartbeat(new Progress(position.phase(), position.step(), totalSteps, stepLoss, checkpoint,
                    checkpointStep));
        }

        /** Saves the trainer now and uploads it with the state at {@code position}, in the background. */
        private Future<CheckpointUploader.Uploaded> checkpoint(PhasePosition position,
                                                              DirectPreferenceOptimizer.Result dpo,
                                                              Map<String, ?> metadata) {
            Path saved = work.resolve("checkpoint-" + trainerStep + "-" + position.phase());
            trainer.save(saved);
            JsonNode state = JSON.valueToTree(new AlignmentState(position, sft, dpo, losses));
            lastCheckpoint = System.nanoTime();
            return uploader.submit(saved, new TrainingCheckpoint(trainerStep, 0, base.tokens(), base.shape(),
                    settings.batchSequences(), peakLearningRate, phaseSteps, schedule, base.seed(), loss, false,
                    state), position.phase().equals(PhasePosition.DONE), metadata);
        }

        private StageOutput outputs(DirectPreferenceOptimizer.Result dpo, Map<String, Object> lineage,
                                    Future<CheckpointUploader.Uploaded> last, Path tokenizerFile) throws Exception {
            long sftSteps = 0;
            for (SupervisedFineTuner.StageResult stage : sft) {
                sftSteps += stage.steps();
                context.metric("repetition_ratio", sftSteps, stage.repetition().ratio());
            }
            context.metric("reward_margin", sftSteps, dpo.heldOutBefore().rewardMargin());
            context.metric("preference_accuracy", sftSteps, dpo.heldOutBefore().preferenceAccuracy());
            context.metric("reward_margin", sftSteps + dpo.steps(), dpo.heldOutAfter().rewardMargin());
            context.metric("preference_accuracy", sftSteps + dpo.steps(), dpo.heldOutAfter().preferenceAccuracy());
            losses.forEach(context::metrics);

            Map<String, Object> report = new LinkedHashMap<>();
            report.put("format", "lmforge-alignment-report-v1");
            report.put("baseCheckpoint", baseRef.digest());
            report.put("sftData", lineage.get("sftData"));
            report.put("dpoData", lineage.get("dpoData"));
            report.put("settings", settings);
            report.put("sft", sft);
            report.put("dpo", dpo);
            byte[] reportBytes = JSON.writeValueAsBytes(report);

            Map<String, ArtifactRef> outputs = new LinkedHashMap<>();
            outputs.put(Outputs.MODEL, context.putArtifact(exportModel(trainer, base, baseRef, tokenizerFile,
                    reportBytes, work), "model", Map.of("format", "tensorflow-saved-model+hf-llama+tokenizer", "aligned", true,
                    "lineage", lineage)));
            outputs.put(Outputs.CHECKPOINT, last.get().artifact());
            outputs.put(Outputs.REPORT, context.putArtifact(reportBytes, "alignment-report", lineage));

            SupervisedFineTuner.StageResult lastSft = sft.get(sft.size() - 1);
            Map<String, Double> summary = new LinkedHashMap<>();
            summary.put("sftSteps", (double) sftSteps);
            summary.put("responseLossBefore", sft.get(0).responseLossBefore());
            summary.put("responseLossAfter", lastSft.responseLossAfter());
            summary.put("repetitionRatio", lastSft.repetition().ratio());
            summary.put("dpoSteps", (double) dpo.steps());
            summary.put("dpoLoss", dpo.heldOutAfter().loss());
            summary.put("rewardMargin", dpo.heldOutAfter().rewardMargin());
            summary.put("preferenceAccuracy", dpo.heldOutAfter().preferenceAccuracy());
            if (resumed != null) {
                summary.put("resumedFromStep", (double) resumed.state().step());
            }
            return new StageOutput(outputs, summary);
        }
    }

    private static AlignmentState stateOf(CheckpointUploader.Found found) throws IOException {
        if (found.state().stageState() == null) {
            throw new IllegalStateException("checkpoint " + found.digest() + " holds no alignment state");
        }
        return JSON.treeToValue(found.state().stageState(), AlignmentState.class);
    }

    /** The aligned model as pretraining exports one: the SavedModel, the Hugging Face folder, the tokenizer, a description. */
    private static Path exportModel(DecoderTrainer trainer, TrainingCheckpoint base, ArtifactRef baseRef,
                                    Path tokenizerFile, byte[] report, Path work) throws IOException {
        Path dir = work.resolve("model");
        ModelArchive.writeServingForms(trainer, BpeTokenizer.load(tokenizerFile), dir);
        Files.copy(tokenizerFile, dir.resolve(BpeTokenizer.FILE_NAME));
        Map<String, Object> description = new LinkedHashMap<>();
        description.put("format", "lmforge-model-v2");
        description.put("shape", base.shape());
        description.put("steps", trainer.step());
        description.put("aligned", true);
        description.put("base", baseRef.digest());
        Files.write(dir.resolve(ModelArchive.DESCRIPTION), JSON.writeValueAsBytes(description));
        Files.write(dir.resolve("alignment-report.json"), report);
        return ModelArchive.zip(dir, work.resolve("model.zip"));
    }
}
