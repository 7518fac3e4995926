package dev.lmforge.activities.training;

import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.StageContext;
import dev.lmforge.activities.StageRuntime;
import dev.lmforge.activities.model.BudgetPlan;
import dev.lmforge.activities.model.CheckpointUploader;
import dev.lmforge.activities.model.ComputePrecision;
import dev.lmforge.activities.model.DecoderTrainer;
import dev.lmforge.activities.model.HardwareProfile;
import dev.lmforge.activities.model.MemoryEstimate;
import dev.lmforge.activities.model.ModelArchive;
import dev.lmforge.activities.model.ModelScale;
import dev.lmforge.activities.model.OptimizerSettings;
import dev.lmforge.activities.model.StepResult;
import dev.lmforge.activities.model.TokenBatchStream;
import dev.lmforge.activities.model.TrainingCheckpoint;
import dev.lmforge.activities.model.TrainingJob;
import dev.lmforge.activities.model.TrainingSetup;
import dev.lmforge.activities.model.LossCurveFit;
import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.text.TokenShardIndex;
import dev.lmforge.activities.text.TokenShards;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lmforge.services.artifacts.ArtifactStoreException;
import dev.lmforge.services.ledger.Records.MetricPoint;
import dev.lmforge.workflows.spec.LifecycleSpec.TrainingOptions;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.Outputs;
import dev.lmforge.workflows.stage.PretrainStage;
import dev.lmforge.workflows.stage.PretrainStageConfig;
import dev.lmforge.workflows.stage.StageInput;
import dev.lmforge.workflows.stage.StageOutput;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
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
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pretrain stage on a compute worker; see {@link PretrainStage}. It reads the plan, the token shards and the
 * tokenizer, refuses a plan that does not fit the worker's memory, then trains with {@link DecoderTrainer},
 * checkpointing in the background every few minutes (and steps) and at the schedule's 80 % boundary. An attempt
 * starts from the newest readable checkpoint of any execution with the same cache key (a retry on another
 * worker, or a resumed run), skipping corrupt ones; streams loss, learning rate, gradient norm and throughput to
 * the ledger; and stops at a non-finite loss, naming the step and the last good checkpoint.
 */
public final class PretrainStageActivities implements PretrainStage {

    private static final Logger LOG = LoggerFactory.getLogger(PretrainStageActivities.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    /** Metric points per series and run, at most: a long run records every n-th step. */
    private static final long METRIC_POINTS = 2000;
    /** How often metrics reach the ledger (and the console's charts). */
    private static final Duration METRIC_FLUSH = Duration.ofSeconds(5);
    /** Held-out rows scored after training, at most. */
    private static final int HELD_OUT_ROWS = 64;

    private final StageRuntime runtime;

    public PretrainStageActivities(StageRuntime runtime) {
        this.runtime = runtime;
    }

    /** Where training stands, as heartbeated: a retried attempt reads it (and the ledger shows it). */
    public record Progress(long step, double loss, String checkpoint, long checkpointStep) {
    }

    @Override
    public StageOutput pretrain(StageInput input) {
        PretrainStageConfig config = JSON.convertValue(input.config(), PretrainStageConfig.class);
        TrainingOptions options = config.training() != null ? config.training()
                : new TrainingOptions(null, null, null, null, null, null, null, null, null);
        return StageContext.run(runtime, input, Progress.class, context -> {
            ArtifactRef planRef = context.requireInput(Outputs.PLAN);
            ArtifactRef tokensRef = context.requireInput(Outputs.TOKENS);
            ArtifactRef tokenizerRef = context.requireInput(Outputs.TOKENIZER);
            Path work = context.workDirectory();
            BudgetPlan plan = JSON.readValue(context.artifacts().readAllBytes(planRef.digest()), BudgetPlan.class);
            Path shards = downloadShards(context, tokensRef, work.resolve("shards"));
            String cacheKey = context.ledger().runs().stage(input.stageRowId()).orElseThrow().cacheKey();
            Start start = findStart(context, cacheKey, options, plan, work.resolve("restore"));
            return train(context, options, cacheKey, start, shards, tokenizerRef, work);
        });
    }

    /** Where an attempt begins: a checkpoint to restore (or none) and the job it belongs to. */
    private record Start(TrainingJob job, TrainingCheckpoint checkpoint, Path variables, String digest) {
    }

    private Start findStart(StageContext context, String cacheKey, TrainingOptions options, BudgetPlan plan,
                            Path restore) throws IOException {
        Optional<CheckpointUploader.Found> found = CheckpointUploader.newestReadable(context, cacheKey,
                context.checkpoint(Progress.class).map(Progress::checkpoint).orElse(null), restore);
        if (found.isPresent()) {
            return new Start(TrainingJob.of(found.get().state()), found.get().state(), restore, found.get().digest());
        }
        String schedule = options.schedule() != null ? options.schedule() : TrainingJob.MULTI_STEP;
        long seed = options.seed() != null ? options.seed() : 0;
        if (options.extendFrom() == null) {
            return new Start(TrainingJob.of(plan, schedule, seed), null, null, null);
        }
        TrainingCheckpoint boundary;
        try (InputStream in = context.artifacts().open(options.extendFrom())) {
            boundary = TrainingCheckpoint.unpack(in, restore);
        } catch (ArtifactStoreException | IOException e) {
            throw new InvalidInputException("training.extendFrom: checkpoint " + options.extendFrom()
                    + " cannot be read: " + e.getMessage());
        }
        if (!boundary.boundary()) {
            throw new InvalidInputException("training.extendFrom: checkpoint " + options.extendFrom()
                    + " is not a boundary checkpoint (step " + boundary.step() + "); use a finished run's "
                    + Outputs.BOUNDARY_CHECKPOINT + " output");
        }
        TrainingJob job = TrainingJob.extended(boundary, plan.compute());
        if (job.totalSteps() <= boundary.step()) {
            throw new InvalidInputException("training.extendFrom: compute.budget " + plan.compute() + " buys "
                    + job.totalSteps() + " steps of that model, not more than the checkpoint's " + boundary.step());
        }
        return new Start(job, boundary, restore, options.extendFrom());
    }

    private StageOutput train(StageContext context, TrainingOptions options, String cacheKey, Start start,
                              Path shards, ArtifactRef tokenizerRef, Path work) throws Exception {
        TrainingJob job = start.job();
        int threads = options.threads() != null ? options.threads() : Runtime.getRuntime().availableProcessors();
        int micro = microBatch(job, options);
        ComputePrecision precision = "bfloat16".equals(options.precision())
                ? ComputePrecision.BFLOAT16 : ComputePrecision.FLOAT32;
        TrainingSetup setup = new TrainingSetup(job.shape(), OptimizerSettings.paper(), micro,
                job.batchSequences() / micro, precision, job.seed(), threads, null);
        Duration every = options.checkpointMinutes() != null
                ? Duration.ofMillis(Math.round(60_000 * options.checkpointMinutes())) : CheckpointUploader.PAPER_INTERVAL;
        int keep = options.keepCheckpoints() != null ? options.keepCheckpoints() : CheckpointUploader.DEFAULT_KEEP;
        long metricEvery = Math.max(1, job.totalSteps() / METRIC_POINTS);
        double flopsPerToken = ModelScale.of(job.shape()).trainingFlopsPerToken();

        Map<String, List<MetricPoint>> metrics = new LinkedHashMap<>();
        List<Future<CheckpointUploader.Uploaded>> kept = new ArrayList<>();
        try (DecoderTrainer trainer = new DecoderTrainer(setup);
             TokenBatchStream data = TokenBatchStream.open(shards, job.shape().seqLen(), job.seed());
             CheckpointUploader uploader = new CheckpointUploader(context, cacheKey, keep)) {
            long tokens = 0;
            double loss = Double.NaN;
            if (start.checkpoint() != null) {
                trainer.restore(start.variables());
                data.seek(start.checkpoint().dataPosition());
                tokens = start.checkpoint().tokens();
                loss = start.checkpoint().loss();
            }
            long step = trainer.step();
            long lastCheckpoint = System.nanoTime();
            long lastFlush = System.nanoTime();
            long trainNanos = 0;
            long trainTokens = 0;
            while (step < job.totalSteps()) {
                double lr = job.learningRateAt(step);
                int[] rows = data.next(job.batchSequences());
                long t0 = System.nanoTime();
                StepResult result = trainer.step(rows, null, lr);
                long nanos = System.nanoTime() - t0;
                step++;
                if (!Double.isFinite(result.loss())) {
                    throw diverged(step, result.loss(), uploader, start);
                }
                loss = result.loss();
                tokens += job.batchTokens();
                trainNanos += nanos;
                trainTokens += job.batchTokens();
                if (step % metricEvery == 0 || step == job.totalSteps()) {
                    double tokensPerSecond = job.batchTokens() / (nanos / 1e9);
                    add(metrics, "loss", step, loss);
                    add(metrics, "learning_rate", step, lr);
                    add(metrics, "gradient_norm", step, result.gradientNorm());
                    add(metrics, "tokens_per_second", step, tokensPerSecond);
                    add(metrics, "model_flops_per_second", step, tokensPerSecond * flopsPerToken);
                }
                boolean boundary = step == job.boundaryStep() && job.schedule().equals(TrainingJob.MULTI_STEP);
                boolean periodic = System.nanoTime() - lastCheckpoint >= every.toNanos()
                        || (options.checkpointSteps() != null && step % options.checkpointSteps() == 0);
                if ((boundary || periodic) && step < job.totalSteps()) {
                    Future<CheckpointUploader.Uploaded> f = checkpoint(trainer, uploader, job, data, step, tokens, loss,
                            boundary, false, work);
                    if (boundary) {
                        kept.add(f);
                    }
                    lastCheckpoint = System.nanoTime();
                }
                if (System.nanoTime() - lastFlush >= METRIC_FLUSH.toNanos()) {
                    // The attempt's log shows progress as often as the console's charts get it.
                    LOG.info("pretrain: step {}/{} loss {} lr {} tokens {}", step, job.totalSteps(),
                            String.format(Locale.ROOT, "%.4f", loss), String.format(Locale.ROOT, "%.3g", lr), tokens);
                    flush(context, metrics);
                    lastFlush = System.nanoTime();
                }
                CheckpointUploader.Uploaded newest = uploader.newest();
                context.heartbeat(new Progress(step, loss, newest == null ? null : newest.artifact().digest(),
                        newest == null ? 0 : newest.state().step()));
            }
            flush(context, metrics);
            LOG.info("pretrain: trained {} steps, {} tokens, final loss {}", step, tokens,
                    String.format(Locale.ROOT, "%.4f", loss));
            Future<CheckpointUploader.Uploaded> last = checkpoint(trainer, uploader, job, data, step, tokens, loss,
                    false, true, work);
            ArtifactRef model = export(context, trainer, job, tokenizerRef, step, tokens, loss, work);
            Map<String, ArtifactRef> outputs = new LinkedHashMap<>();
            outputs.put(Outputs.MODEL, model);
            outputs.put(Outputs.CHECKPOINT, last.get().artifact());
            for (Future<CheckpointUploader.Uploaded> f : kept) {
                outputs.put(Outputs.BOUNDARY_CHECKPOINT, f.get().artifact());
            }
            if (kept.isEmpty()) {
                // Resumed past the boundary: an earlier attempt or run took it.
                context.ledger().artifacts().checkpoints(cacheKey).stream()
                        .filter(c -> c.role().equals(CheckpointUploader.BOUNDARY)).findFirst()
                        .ifPresent(c -> outputs.put(Outputs.BOUNDARY_CHECKPOINT, new ArtifactRef(c.digest(),
                                CheckpointUploader.KIND, context.artifacts().size(c.digest()).orElse(0L))));
            }
            Map<String, Double> summary = new LinkedHashMap<>();
            summary.put("steps", (double) step);
            summary.put("tokens", (double) tokens);
            summary.put("loss", loss);
            summary.put("parameters", (double) trainer.parameterCount());
            summary.put("epochs", (double) data.position() / data.rowsPerEpoch());
            if (trainNanos > 0) {
                summary.put("tokensPerSecond", trainTokens / (trainNanos / 1e9));
                summary.put("modelFlopsPerSecond", trainTokens / (trainNanos / 1e9) * flopsPerToken);
            }
            if (start.checkpoint() != null) {
                summary.put("resumedFromStep", (double) start.checkpoint().step());
            }
            heldOutLoss(context, trainer, job, work).ifPresent(heldOut -> {
                summary.put("heldOutLoss", heldOut);
                context.metric("held_out_loss", job.totalSteps(), heldOut);
                predictionError(context, job, heldOut, summary);
            });
            return new StageOutput(outputs, summary);
        }
    }

    /**
     * The trained model's mean loss on the tokenizer stage's held-out documents (joined as in training, with
     * {@code <|eos|>} between them, cut into rows), if there are enough for one row.
     */
    private static Optional<Double> heldOutLoss(StageContext context, DecoderTrainer trainer, TrainingJob job,
                                                Path work) throws IOException {
        ArtifactRef heldOutRef = context.input().inputs().get(Outputs.HELD_OUT);
        if (heldOutRef == null) {
            return Optional.empty();
        }
        // The exported model's folder holds its tokenizer by now.
        BpeTokenizer tokenizer = BpeTokenizer.load(work.resolve("model").resolve(BpeTokenizer.FILE_NAME));
        int eos = tokenizer.specialTokenId("<|eos|>");
        int width = job.shape().seqLen() + 1;
        List<Integer> stream = new ArrayList<>();
        for (String line : new String(context.artifacts().readAllBytes(heldOutRef.digest()), StandardCharsets.UTF_8)
                .split("\n")) {
            if (!line.isBlank() && stream.size() < HELD_OUT_ROWS * width) {
                for (int id : tokenizer.encode(JSON.readTree(line).get("text").asText())) {
                    stream.add(id);
                }
                stream.add(eos);
            }
        }
        int rows = Math.min(HELD_OUT_ROWS, (stream.size() - 1) / job.shape().seqLen());
        if (rows <= 0) {
            return Optional.empty();
        }
        int[] ids = new int[rows * width];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < width; i++) {
                ids[r * width + i] = stream.get(r * job.shape().seqLen() + i);
            }
        }
        return Optional.of(trainer.loss(ids, rows));
    }

    /** With a scaling-law sweep before it: the loss its curve predicted for this run, and how far off it was. */
    private static void predictionError(StageContext context, TrainingJob job, double heldOutLoss,
                                        Map<String, Double> summary) {
        ArtifactRef fit = context.input().inputs().get(Outputs.SCALING_FIT);
        if (fit == null) {
            return;
        }
        double compute = ModelScale.of(job.shape()).modelScale() * job.batchTokens() * job.totalSteps();
        try {
            double predicted = LossCurveFit.ofScalingFit(context.artifacts().readAllBytes(fit.digest()))
                    .predict(compute).loss();
            summary.put("predictedLoss", predicted);
            summary.put("predictionError", (heldOutLoss - predicted) / predicted);
        } catch (IllegalArgumentException e) {
            LOG.info("pretrain: no loss prediction to check: {}", e.getMessage());
        }
    }

    /**
     * Sequences per micro-batch: the spec's, or as many as fit the worker's memory next to the weights and
     * optimizer state, rounded down to a divisor of the batch. A model that does not fit at all is refused here,
     * before any training, with the numbers.
     */
    private static int microBatch(TrainingJob job, TrainingOptions options) {
        long memory = WorkerMemory.bytesAvailable();
        MemoryEstimate estimate = MemoryEstimate.of(ModelScale.of(job.shape()), job.batchSequences(),
                new HardwareProfile(1, memory));
        if (!Boolean.TRUE.equals(estimate.fitsInMemory())) {
            throw new InvalidInputException(String.format("plan: the model needs %.1f MiB for weights, gradients "
                            + "and AdamW state plus %.1f MiB of activations per sequence, but this worker has %.1f MiB "
                            + "(set LMFORGE_WORKER_MEMORY_GIB if that is wrong)", estimate.stateBytes() / 1048576.0,
                    estimate.activationBytesPerSequence() / 1048576.0, memory / 1048576.0));
        }
        int wanted = options.microBatchSequences() != null ? options.microBatchSequences()
                : estimate.microBatchSequences();
        if (wanted > job.batchSequences()) {
            throw new InvalidInputException("training.microBatchSequences: " + wanted
                    + " exceeds the plan's batch of " + job.batchSequences() + " sequences");
        }
        int micro = wanted;
        while (job.batchSequences() % micro != 0) {
            micro--;
        }
        return micro;
    }

    private static Future<CheckpointUploader.Uploaded> checkpoint(DecoderTrainer trainer, CheckpointUploader uploader,
                                                                  TrainingJob job, TokenBatchStream data, long step,
                                                                  long tokens, double loss, boolean boundary,
                                                                  boolean last, Path work) throws IOException {
        Path saved = work.resolve("checkpoint-" + step + (boundary ? "-boundary" : ""));
        Files.createDirectories(saved);
        trainer.save(saved);
        TrainingCheckpoint state = new TrainingCheckpoint(step, data.position(), tokens, job.shape(),
                job.batchSequences(), job.peakLearningRate(), job.totalSteps(), job.schedule(), job.seed(), loss,
                boundary);
        return uploader.submit(saved, state, last);
    }

    private static ApplicationFailure diverged(long step, double loss, CheckpointUploader uploader, Start start)
            throws InterruptedException {
        uploader.close();
        CheckpointUploader.Uploaded newest = uploader.newest();
        String lastGood = newest != null
                ? newest.artifact().digest() + " (step " + newest.state().step() + ")"
                : start.digest() != null ? start.digest() + " (step " + start.checkpoint().step() + ")"
                : "none (no checkpoint was taken yet)";
        return ApplicationFailure.newNonRetryableFailure("loss became " + loss + " at step " + step
                + "; the last good checkpoint is " + lastGood + "; resuming the run continues from it",
                "TrainingDiverged");
    }

    /** The model as one artifact: the SavedModel, the Hugging Face folder, the tokenizer and a description. */
    private static ArtifactRef export(StageContext context, DecoderTrainer trainer, TrainingJob job,
                                      ArtifactRef tokenizerRef, long step, long tokens, double loss, Path work)
            throws IOException {
        Path dir = work.resolve("model");
        Files.createDirectories(dir);
        context.artifacts().download(tokenizerRef.digest(), dir.resolve(BpeTokenizer.FILE_NAME));
        ModelArchive.writeServingForms(trainer, BpeTokenizer.load(dir.resolve(BpeTokenizer.FILE_NAME)), dir);
        Map<String, Object> description = new LinkedHashMap<>();
        description.put("format", "lmforge-model-v2");
        description.put("shape", job.shape());
        description.put("steps", step);
        description.put("tokens", tokens);
        description.put("loss", loss);
        description.put("tokenizer", tokenizerRef.digest());
        Files.write(dir.resolve(ModelArchive.DESCRIPTION), JSON.writeValueAsBytes(description));
        Path zip = ModelArchive.zip(dir, work.resolve("model.zip"));
        return context.putArtifact(zip, "model", Map.of("format", "tensorflow-saved-model+hf-llama+tokenizer",
                "parameters", trainer.parameterCount(), "steps", step, "loss", loss));
    }

    /** Downloads the token shards and writes their index, as {@code TokenShardReader} expects a directory. */
    private static Path downloadShards(StageContext context, ArtifactRef tokensRef, Path dir) throws IOException {
        TokenShards manifest = JSON.readValue(context.artifacts().readAllBytes(tokensRef.digest()), TokenShards.class);
        Files.createDirectories(dir);
        for (Map.Entry<String, String> file : manifest.files().entrySet()) {
            context.artifacts().download(file.getValue(), dir.resolve(file.getKey()));
            // A big corpus takes longer than the heartbeat timeout. Beat with the details an earlier attempt left
            // (never none: Temporal sends the first beat at once and throttles the rest, so an empty first beat
            // could be all the server holds when this worker dies).
            context.heartbeat(context.checkpoint(Progress.class).orElse(new Progress(0, 0, null, 0)));
        }
        Files.write(dir.resolve(TokenShardIndex.FILE_NAME), JSON.writeValueAsBytes(manifest.index()));
        return dir;
    }

    private static void add(Map<String, List<MetricPoint>> metrics, String name, long step, double value) {
        metrics.computeIfAbsent(name, n -> new ArrayList<>()).add(new MetricPoint(step, value));
    }

    private static void flush(StageContext context, Map<String, List<MetricPoint>> metrics) {
        metrics.forEach(context::metrics);
        metrics.clear();
    }
}
