package dev.lmforge.activities.planning;

import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.Producer;
import dev.lmforge.activities.StageRuntime;
import dev.lmforge.activities.model.BudgetPlan;
import dev.lmforge.activities.model.ScalingLaws;
import dev.lmforge.activities.text.TokenShardIndex;
import dev.lmforge.activities.text.TokenShards;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.ledger.LedgerJson;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.StageFailures;
import dev.lmforge.workflows.sweep.ProbeResult;
import dev.lmforge.workflows.sweep.ScalingSweepWorkflow;
import dev.lmforge.workflows.sweep.SweepActivities;
import dev.lmforge.workflows.sweep.SweepInput;
import dev.lmforge.workflows.sweep.SweepOptions;
import dev.lmforge.workflows.sweep.SweepOutcome;
import dev.lmforge.workflows.sweep.SweepProbe;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The scaling sweep's activities on a compute worker; see {@link SweepActivities}. Probes are not stage attempts
 * (many run at once under one plan stage), so they write no attempt rows: each probe's held-out loss goes to the
 * run's metrics as it finishes, and the fit is a recorded artifact. The token shards are downloaded once per
 * worker and digest, and shared by the probes it runs.
 */
public final class SweepActivitiesImpl implements SweepActivities {

    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final StageRuntime runtime;
    private final Path shardCache;

    public SweepActivitiesImpl(StageRuntime runtime) {
        this(runtime, Path.of(System.getProperty("java.io.tmpdir"), "lmforge-sweep-shards"));
    }

    /** A sweep worker that keeps downloaded token shards under {@code shardCache}. */
    public SweepActivitiesImpl(StageRuntime runtime, Path shardCache) {
        this.runtime = runtime;
        this.shardCache = shardCache;
    }

    @Override
    public List<SweepProbe> designProbes(SweepInput input, String kind, List<ProbeResult> hyperparameterResults) {
        return refusingBadInput(() -> {
            SweepSettings settings = SweepSettings.resolve(input.options(), input.targetCompute());
            int vocab = manifest(input.tokens()).index().vocabularySize();
            ScalingLaws laws = kind.equals(SweepOptions.ISOFLOP) && !hyperparameterResults.isEmpty()
                    ? SweepFitter.lawsOf(SweepFitter.fitGrid(hyperparameterResults, settings.margin(), new ArrayList<>()))
                    : ScalingLaws.paper();
            List<SweepProbe> probes = new ArrayList<>();
            for (double compute : settings.budgets()) {
                BudgetRequest request = new BudgetRequest(compute, null, input.seqLen(), vocab, laws, null);
                List<BudgetPlan> plans = kind.equals(SweepOptions.ISOFLOP)
                        ? SweepDesign.isoFlop(request, settings.splits(), settings.span())
                        : SweepDesign.hyperparameterGrid(request, settings.batchSizes(), settings.learningRates(),
                        settings.ratio());
                for (BudgetPlan plan : plans) {
                    probes.add(new SweepProbe(kind, probes.size(), compute, JSON.valueToTree(plan)));
                }
            }
            return probes;
        });
    }

    @Override
    public ProbeResult runProbe(SweepInput input, SweepProbe probe) {
        ActivityExecutionContext activity = Activity.getExecutionContext();
        return refusingBadInput(() -> {
            SweepSettings settings = SweepSettings.resolve(input.options(), input.targetCompute());
            BudgetPlan plan = JSON.treeToValue(probe.plan(), BudgetPlan.class);
            ProbeResult result = ProbeRun.train(probe, plan, shards(input.tokens()), settings, activity::heartbeat);
            if (!result.diverged()) {
                runtime.ledger().metrics().recordMetric(input.runId(), input.stage(), "sweep." + probe.kind() + ".heldOutLoss",
                        probe.index(), result.heldOutLoss());
            }
            return result;
        });
    }

    @Override
    public SweepOutcome fitSweep(SweepInput input, List<ProbeResult> results) {
        return refusingBadInput(() -> {
            SweepSettings settings = SweepSettings.resolve(input.options(), input.targetCompute());
            ScalingFit fit = SweepFitter.fit(settings, input.tokens().digest(), input.targetCompute(), results);
            // The plan stage's row is the lifecycle's to know; the sweep is handed the run and the stage's id.
            ArtifactStore.StoredObject stored = runtime.store(fit.toJson(), ScalingSweepWorkflow.SCALING_FIT_KIND,
                    new Producer(input.runId(), input.stage(), null));
            // The artifact's own lineage: what it was fitted from, and for which run; the stage that hands it on
            // records the ledger's edges.
            Map<String, Object> metadata = new LinkedHashMap<>();
            metadata.put("format", ScalingFit.FORMAT);
            metadata.put("kind", settings.kind());
            metadata.put("tokens", input.tokens().digest());
            metadata.put("runId", input.runId());
            metadata.put("probes", results.size());
            runtime.ledger().artifacts().recordArtifact(stored.digest(), ScalingSweepWorkflow.SCALING_FIT_KIND,
                    stored.sizeBytes(), LedgerJson.toJson(metadata));
            return new SweepOutcome(new ArtifactRef(stored.digest(), ScalingSweepWorkflow.SCALING_FIT_KIND,
                    stored.sizeBytes()), fit.summary());
        });
    }

    private TokenShards manifest(ArtifactRef tokens) throws IOException {
        return JSON.readValue(runtime.artifacts().readAllBytes(tokens.digest()), TokenShards.class);
    }

    /**
     * The token shards as a directory {@code TokenBatchStream} reads, downloaded on first use. The directory is
     * named by the manifest's digest and filled under a temporary name first, so a half-written one is never used.
     */
    private synchronized Path shards(ArtifactRef tokens) throws IOException {
        Path dir = shardCache.resolve(tokens.digest());
        if (Files.isDirectory(dir)) {
            return dir;
        }
        Files.createDirectories(shardCache);
        Path partial = Files.createTempDirectory(shardCache, "partial-");
        TokenShards manifest = manifest(tokens);
        for (Map.Entry<String, String> file : manifest.files().entrySet()) {
            runtime.artifacts().download(file.getValue(), partial.resolve(file.getKey()));
        }
        Files.write(partial.resolve(TokenShardIndex.FILE_NAME), JSON.writeValueAsBytes(manifest.index()));
        Files.move(partial, dir, StandardCopyOption.ATOMIC_MOVE);
        return dir;
    }

    /** Runs {@code body}; bad options and unfittable results fail without retry, naming the option. */
    private static <T> T refusingBadInput(Callable<T> body) {
        try {
            return body.call();
        } catch (IllegalArgumentException | InvalidInputException e) {
            throw ApplicationFailure.newNonRetryableFailureWithCause("plan.sweep: " + e.getMessage(),
                    StageFailures.INVALID_INPUT, e);
        } catch (Exception e) {
            throw Activity.wrap(e);
        }
    }
}
