package dev.lmforge.activities.data;

import dev.lmforge.activities.AttemptCaps;
import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.Producer;
import dev.lmforge.activities.StageContext;
import dev.lmforge.activities.StageRuntime;
import dev.lmforge.activities.WorkDirectory;
import dev.lmforge.activities.text.CorpusManifest;
import dev.lmforge.activities.text.ReadStats;
import dev.lmforge.activities.text.TooManyInputErrorsException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.ledger.LedgerJson;
import dev.lmforge.workflows.data.DataSteps;
import dev.lmforge.workflows.data.DataWorkflowInput;
import dev.lmforge.workflows.spec.DataSettings;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.DataStageConfig;
import dev.lmforge.workflows.stage.Outputs;
import dev.lmforge.workflows.stage.Stage;
import dev.lmforge.workflows.stage.StageFailures;
import dev.lmforge.workflows.stage.StageInput;
import dev.lmforge.workflows.stage.StageOutput;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.client.ActivityCompletionException;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data workflow's activities on a compute worker; see {@link DataSteps}. Each step downloads what it reads
 * into a folder of its own, runs one piece of the data library over it, and stores what it wrote as
 * content-addressed artifacts; it heartbeats every few seconds while it runs, so a dead worker's step is retried
 * elsewhere. Every object a step stores is recorded with the run and stage row it works for
 * ({@link StageRuntime#store}); only the final corpus parts, the manifest, the report and the cluster list are also
 * artifacts with metadata: the shuffle's band, pair and removal files and the filtered shards are plumbing.
 */
public final class DataStepActivities implements DataSteps {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger LOG = LoggerFactory.getLogger(DataStepActivities.class);
    private static final long HEARTBEAT_SECONDS = 2;

    private final StageRuntime runtime;

    public DataStepActivities(StageRuntime runtime) {
        this.runtime = runtime;
    }

    /** The body of a step, given its own empty work folder and the run and stage it writes for. */
    private interface Step<T> {
        T run(Path work, Producer producer) throws Exception;
    }

    @Override
    public IngestedCorpus ingestDumps(StageInput input) {
        DataStageConfig stage = JSON.convertValue(input.config(), DataStageConfig.class);
        if (stage.dumps().isEmpty()) {
            throw ApplicationFailure.newNonRetryableFailure("corpus.sources: no readable corpus files were found",
                    StageFailures.INVALID_INPUT);
        }
        DataConfig config;
        try {
            config = DataConfig.from(stage.options());
        } catch (IllegalArgumentException e) {
            throw ApplicationFailure.newNonRetryableFailure("data: " + e.getMessage(), StageFailures.INVALID_INPUT);
        }
        Optional<String> tooMany = DataSettings.tooManyBandFiles(stage.dumps().size(), config.partitions());
        if (tooMany.isPresent()) {
            throw ApplicationFailure.newNonRetryableFailure(tooMany.get(), StageFailures.INVALID_INPUT);
        }
        return StageContext.run(runtime, input, CorpusIngest.Checkpoint.class, context -> {
            List<IngestedCorpus.Shard> shards = new ArrayList<>();
            ReadStats read = ReadStats.empty();
            List<CorpusIngest.Ingested> parts = new CorpusIngest(context, stage, config.reading()).ingest();
            for (int i = 0; i < parts.size(); i++) {
                CorpusManifest.Part part = parts.get(i).part();
                shards.add(new IngestedCorpus.Shard(i, part.input(), stage.dumps().get(i).path(), part.dump(),
                        part.digest(), part.documents(), part.errors()));
                read = read.plus(parts.get(i).reading());
            }
            return new IngestedCorpus(JSON.valueToTree(config), config.partitions(), shards, JSON.valueToTree(read));
        });
    }

    @Override
    public SignedShard signShard(JsonNode config, IngestedCorpus.Shard shard) {
        return step("sign shard " + shard.index(), (work, producer) -> {
            DataConfig settings = settings(config);
            Path bands = work.resolve("bands");
            ShuffleDeduplication.ShardSummary read = new ShuffleDeduplication(settings)
                    .signShard(download(shard.digest(), work.resolve("shard.jsonl")), shard.index(), bands);
            List<String> partitions = new ArrayList<>();
            for (int p = 0; p < settings.partitions(); p++) {
                partitions.add(put(ShuffleDeduplication.bandFile(bands, p, shard.index()), "band-file", producer));
            }
            // Named by the stage input, not by this worker's temporary copy.
            var summary = new ShuffleDeduplication.ShardSummary(shard.index(), shard.input(), read.read(), read.documents());
            return new SignedShard(shard.index(), partitions, JSON.valueToTree(summary));
        });
    }

    @Override
    public String findPairs(JsonNode config, int partition, List<String> bandDigests) {
        return step("find pairs of partition " + partition, (work, producer) -> {
            List<Path> files = new ArrayList<>();
            for (int shard = 0; shard < bandDigests.size(); shard++) {
                files.add(download(bandDigests.get(shard), ShuffleDeduplication.bandFile(work, partition, shard)));
            }
            Path pairs = work.resolve("pairs.bin");
            new ShuffleDeduplication(settings(config)).findPairs(files, pairs);
            return put(pairs, "pair-file", producer);
        });
    }

    @Override
    public Clusters clusterPairs(JsonNode config, List<String> pairDigests, List<JsonNode> summaries) {
        return step("cluster", (work, producer) -> {
            List<Path> pairs = new ArrayList<>();
            for (int p = 0; p < pairDigests.size(); p++) {
                pairs.add(download(pairDigests.get(p), work.resolve("pairs-" + p + ".bin")));
            }
            List<ShuffleDeduplication.ShardSummary> shards = new ArrayList<>();
            for (JsonNode s : summaries) {
                shards.add(JSON.treeToValue(s, ShuffleDeduplication.ShardSummary.class));
            }
            Path out = work.resolve("removals");
            DedupResult result = new ShuffleDeduplication(settings(config)).cluster(pairs, shards, out);
            List<String> removals = new ArrayList<>();
            for (ShuffleDeduplication.ShardSummary s : shards) {
                removals.add(put(ShuffleDeduplication.removalFile(out, s.shard()), "removal-list", producer));
            }
            ArtifactRef duplicates = record(ShuffleDeduplication.clusterFile(out), "duplicate-clusters",
                    Map.of("clusters", result.clusters()), producer);
            return new Clusters(removals, duplicates.digest(), JSON.valueToTree(result));
        });
    }

    @Override
    public FilteredShard filterShard(JsonNode config, IngestedCorpus.Shard shard, String removalDigest) {
        return step("filter shard " + shard.index(), (work, producer) -> {
            DataConfig settings = settings(config);
            Path survivors = work.resolve("dedup.jsonl");
            long kept = new ShuffleDeduplication(settings).writeSurvivors(
                    download(shard.digest(), work.resolve("shard.jsonl")),
                    download(removalDigest, work.resolve("removed.bin")), survivors);
            Path filtered = work.resolve("filtered.jsonl");
            QualityFilter.Stats stats = new QualityFilter(settings.quality()).filterShard(survivors, filtered, settings.reading());
            return new FilteredShard(shard.index(), put(filtered, "filtered-shard", producer), kept,
                    runtime.store(JSON.writeValueAsBytes(stats), "quality-stats", producer).digest());
        });
    }

    @Override
    public JsonNode planRemix(JsonNode config, List<String> quality) {
        return step("plan remix", (work, producer) -> {
            DataConfig settings = settings(config);
            QualityFilter.Stats merged = merge(quality, settings);
            EmptyCorpus.requireFiltered(merged);   // before the remix fans out over nothing
            return JSON.valueToTree(new Remixer(settings.remix()).plan(merged.mix()));
        });
    }

    @Override
    public RemixedShard remixShard(JsonNode config, FilteredShard shard, JsonNode plan) {
        return step("remix shard " + shard.shard(), (work, producer) -> {
            DataConfig settings = settings(config);
            Path out = work.resolve(String.format("part-%05d.jsonl", shard.shard()));
            Remixer.Shard remixed = new Remixer(settings.remix()).remixShard(
                    download(shard.digest(), work.resolve("filtered.jsonl")), out,
                    JSON.treeToValue(plan, Remixer.Plan.class), settings.reading());
            ArtifactRef part = record(out, "corpus-part", Map.of("shard", shard.shard(), "documents", remixed.documents()),
                    producer);
            return new RemixedShard(shard.shard(), part.digest(), part.sizeBytes(), remixed.documents(),
                    remixed.mix().summary().bytes(), JSON.valueToTree(remixed.mix()));
        });
    }

    @Override
    public StageOutput finishData(StageInput input, IngestedCorpus corpus, Clusters clusters,
                                  List<FilteredShard> filtered, JsonNode plan, List<RemixedShard> remixed) {
        return step("finish", StageContext.producerOf(input), (work, producer) -> {
            DataConfig settings = settings(corpus.config());
            ReadStats read = JSON.treeToValue(corpus.reading(), ReadStats.class);
            DedupResult dedup = JSON.treeToValue(clusters.result(), DedupResult.class);
            QualityFilter.Stats quality = merge(filtered.stream().map(FilteredShard::quality).toList(), settings);
            Remixer.Plan remixPlan = JSON.treeToValue(plan, Remixer.Plan.class);
            Mix after = Mix.empty();
            List<CorpusManifest.Part> parts = new ArrayList<>();
            List<DataReport.Output> outputs = new ArrayList<>();
            for (RemixedShard r : remixed) {
                IngestedCorpus.Shard source = corpus.shards().get(r.shard());
                after = after.plus(JSON.treeToValue(r.mix(), Mix.class));
                parts.add(new CorpusManifest.Part(source.input(), source.dump(), r.digest(), r.sizeBytes(),
                        r.documents(), r.textBytes(), source.errors()));
                outputs.add(new DataReport.Output(String.format("part-%05d.jsonl", r.shard()), r.documents(),
                        r.sizeBytes(), r.digest()));
            }
            Map<String, Long> steps = new LinkedHashMap<>();
            steps.put("read", read.records());
            steps.put("deduplicated", filtered.stream().mapToLong(FilteredShard::survivors).sum());
            steps.put("filtered", quality.kept());
            steps.put("remixed", after.summary().documents());
            EmptyCorpus.requireRemixed(quality.kept(), after.summary().documents());
            DataReport report = new DataReport(DataReport.FORMAT,
                    corpus.shards().stream().map(IngestedCorpus.Shard::path).toList(), steps, read, dedup,
                    new DataReport.Quality(quality.input(), quality.kept(), quality.rejected(), quality.samples()),
                    new DataReport.Remix(quality.mix().summary(), after.summary(), remixPlan.factors(), remixPlan.notes()),
                    outputs, "sha256:" + clusters.duplicates(), settings);
            CorpusManifest manifest = CorpusManifest.of(parts, read);
            ArtifactRef corpusRef = record(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest), "corpus",
                    Map.of("documents", manifest.documents(), "textBytes", manifest.textBytes(), "parts", parts.size()),
                    producer);
            ArtifactRef reportRef = record(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(report), "data-report",
                    Map.of("format", DataReport.FORMAT), producer);
            DuplicateRates overall = dedup.overall();
            Map<String, Double> summary = new LinkedHashMap<>();
            steps.forEach((name, n) -> summary.put(name, (double) n));
            summary.put("documents", (double) manifest.documents());
            summary.put("textBytes", (double) manifest.textBytes());
            summary.put("parts", (double) parts.size());
            summary.put("errors", (double) manifest.errors());
            summary.put("withinDumpRate", overall.withinDumpRate());
            summary.put("acrossDumpsRate", overall.acrossDumpsRate());
            return new StageOutput(Map.of(Outputs.CORPUS, corpusRef, Outputs.REPORT, reportRef), summary);
        });
    }

    /** Every shard's filter stats added up, samples capped as the config says. */
    private QualityFilter.Stats merge(List<String> quality, DataConfig settings) throws IOException {
        QualityFilter.Stats all = QualityFilter.Stats.empty();
        for (String digest : quality) {
            QualityFilter.Stats shard = JSON.readValue(runtime.artifacts().readAllBytes(digest), QualityFilter.Stats.class);
            all = all.plus(shard, settings.quality().rejectedSamples());
        }
        return all;
    }

    private static DataConfig settings(JsonNode config) throws JsonProcessingException {
        return JSON.treeToValue(config, DataConfig.class).validated();
    }

    /**
     * Runs a step in a fresh work folder, heartbeating from the side while it runs (the library's steps have no
     * progress hooks), and deletes the folder after. The side thread also measures the folder: past the worker's
     * {@link AttemptCaps#maxTempBytes()} it interrupts the step (reading stops at the next line), which then fails
     * as bad input naming the cap, as does a step that ends over it. Bad input fails without retry; anything else
     * is retried.
     */
    private <T> T step(String name, Step<T> body) {
        return step(name, null, body);
    }

    /** {@link #step(String, Step)} for {@code producer}; when null, the stage the data workflow works for. */
    private <T> T step(String name, Producer known, Step<T> body) {
        ActivityExecutionContext activity = Activity.getExecutionContext();
        long started = System.nanoTime();
        Thread worker = Thread.currentThread();
        long cap = runtime.caps().maxTempBytes();
        Path work;
        try {
            work = Files.createTempDirectory("lmforge-data-step");
        } catch (IOException e) {
            throw Activity.wrap(e);
        }
        AtomicLong over = new AtomicLong();
        ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "heartbeat-" + activity.getInfo().getActivityId());
            t.setDaemon(true);
            return t;
        });
        beats.scheduleAtFixedRate(() -> {
            try {
                long used = WorkDirectory.size(work);
                if (used > cap && over.compareAndSet(0, used)) {
                    worker.interrupt();
                }
            } catch (IOException | UncheckedIOException e) {
                // The folder is being deleted: the step is over.
            }
            try {
                activity.heartbeat("step running");
            } catch (ActivityCompletionException cancelled) {
                worker.interrupt();   // cancelled, or timed out: stop the step at its next blocking call
                throw cancelled;
            }
        }, 0, HEARTBEAT_SECONDS, TimeUnit.SECONDS);
        try {
            Producer producer = known != null ? known : producerOf(activity);
            T result = body.run(work, producer);
            long used = WorkDirectory.size(work);
            if (used > cap) {
                over.compareAndSet(0, used);
            }
            if (over.get() > 0) {
                throw tooMuchTemp(name, over.get(), cap);
            }
            LOG.info("data step '{}' of run {} done in {} ms", name, activity.getInfo().getWorkflowId(),
                    (System.nanoTime() - started) / 1_000_000);
            return result;
        } catch (InvalidInputException | TooManyInputErrorsException e) {
            throw ApplicationFailure.newNonRetryableFailureWithCause(e.getMessage(), StageFailures.INVALID_INPUT, e);
        } catch (Exception e) {
            if (over.get() > 0) {
                InvalidInputException capped = tooMuchTemp(name, over.get(), cap);
                throw ApplicationFailure.newNonRetryableFailureWithCause(capped.getMessage(), StageFailures.INVALID_INPUT, e);
            }
            throw Activity.wrap(e);
        } finally {
            beats.shutdownNow();
            Thread.interrupted();   // an interrupt meant for the step must not reach the next task of this thread
            try {
                WorkDirectory.delete(work);
            } catch (IOException e) {
                // A leftover temporary folder must not fail a finished step.
            }
        }
    }

    private static InvalidInputException tooMuchTemp(String name, long used, long cap) {
        return new InvalidInputException("data step '" + name + "' used " + used + " bytes of temporary disk, more "
                + "than its cap of " + cap + "; it was stopped (lmforge.limits.temp-bytes raises the cap)");
    }

    private Path download(String digest, Path target) throws IOException {
        Files.createDirectories(target.toAbsolutePath().getParent());
        runtime.artifacts().download(digest, target);
        return target;
    }

    /**
     * The run, stage and stage row a step of the data workflow works for: steps are handed no stage input, so the
     * ledger is asked for the newest data stage of the lifecycle whose child this workflow is. A workflow started
     * on its own (a test's) knows no run: what its steps store is recorded as the data stage's, of no run.
     */
    private Producer producerOf(ActivityExecutionContext activity) {
        return DataWorkflowInput.lifecycleWorkflowId(activity.getInfo().getWorkflowId())
                .flatMap(lifecycle -> runtime.ledger().artifacts().newestStage(lifecycle, Stage.DATA.id()))
                .map(stage -> new Producer(stage.runId(), stage.stage(), stage.id()))
                .orElse(new Producer(null, Stage.DATA.id(), null));
    }

    /** Stores a work file that only the workflow's later steps read, recorded as {@code kind}. */
    private String put(Path file, String kind, Producer producer) {
        return runtime.store(file, kind, producer).digest();
    }

    /** Stores a file that people and later stages read, and records it in the ledger as an artifact too. */
    private ArtifactRef record(Path file, String kind, Map<String, ?> metadata, Producer producer) {
        return recorded(runtime.store(file, kind, producer), kind, metadata);
    }

    private ArtifactRef record(byte[] bytes, String kind, Map<String, ?> metadata, Producer producer) {
        return recorded(runtime.store(bytes, kind, producer), kind, metadata);
    }

    private ArtifactRef recorded(ArtifactStore.StoredObject stored, String kind,
                                 Map<String, ?> metadata) {
        runtime.ledger().artifacts().recordArtifact(stored.digest(), kind, stored.sizeBytes(), LedgerJson.toJson(metadata));
        return new ArtifactRef(stored.digest(), kind, stored.sizeBytes());
    }
}
