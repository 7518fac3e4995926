package dev.lmforge.activities;

import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.LedgerJson;
import dev.lmforge.services.ledger.Records;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.Outputs;
import dev.lmforge.workflows.stage.Stage;
import dev.lmforge.workflows.stage.StageFailures;
import dev.lmforge.workflows.stage.StageInput;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.client.ActivityCanceledException;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt of a stage activity on a compute worker. It records the attempt in the ledger (which worker,
 * resumed from which checkpoint), hands the stage the checkpoint that the previous attempt left in its
 * heartbeat details, heartbeats new checkpoints, stores artifacts and metrics against the run, captures the
 * attempt's log lines ({@link AttemptLogs}), and turns
 * {@link InvalidInputException} into a failure that Temporal does not retry.
 */
public final class StageContext {

    private static final Logger LOG = LoggerFactory.getLogger(StageContext.class);

    /** The body of a stage attempt. */
    public interface Body<T> {
        T run(StageContext context) throws Exception;
    }

    private final StageRuntime runtime;
    private final StageInput input;
    private final ActivityExecutionContext activity;
    private final AttemptWatch watch;
    private Path workDirectory;

    private StageContext(StageRuntime runtime, StageInput input, ActivityExecutionContext activity, AttemptWatch watch) {
        this.runtime = runtime;
        this.input = input;
        this.activity = activity;
        this.watch = watch;
    }

    /**
     * Runs {@code body} as one recorded attempt of {@code input}'s stage; call it from the activity method. The
     * attempt is watched ({@link AttemptWatch}): once Temporal has given it up its thread is interrupted and the
     * attempt ends as LOST; a cancelled attempt ends as CANCELLED.
     */
    public static <T> T run(StageRuntime runtime, StageInput input, Class<?> checkpointType, Body<T> body) {
        ActivityExecutionContext activity = Activity.getExecutionContext();
        int attempt = activity.getInfo().getAttempt();
        AttemptWatch watch;
        try {
            watch = AttemptWatch.start(input.stageRowId() + "/" + activity.getInfo().getActivityType(), attempt,
                    activity.getInfo().getHeartbeatTimeout());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Activity.wrap(e);
        }
        StageContext context = new StageContext(runtime, input, activity, watch);
        AttemptLogs.Capture log = runtime.logs().capture(input.stageRowId(), attempt);
        try {
            Optional<?> checkpoint = activity.getHeartbeatDetails(checkpointType);
            runtime.ledger().runs().attemptStarted(input.stageRowId(), attempt, runtime.workerIdentity(),
                    checkpoint.map(LedgerJson::toJson).orElse(null));
            // The first line of the attempt's log: where and from what it runs.
            LOG.info("{} attempt {} of run {} ({}) on worker {}{}", input.stage(), attempt, input.runId(),
                    activity.getInfo().getActivityType(), runtime.workerIdentity(),
                    checkpoint.isPresent() ? ", resuming from its previous attempt's checkpoint" : "");
            T result;
            try {
                result = body.run(context);
            } finally {
                watch.close();
            }
            if (watch.abandoned() != null) {
                throw new AttemptWatch.AttemptAbandonedException(watch.abandoned());
            }
            runtime.ledger().runs().attemptEnded(input.stageRowId(), attempt, "SUCCEEDED", null);
            LOG.info("{} attempt {} succeeded", input.stage(), attempt);
            return result;
        } catch (Exception e) {
            LOG.warn("{} attempt {} ended: {}", input.stage(), attempt, e.toString());
            throw ended(runtime, input, attempt, watch.abandoned(), e);
        } finally {
            watch.close();
            context.deleteWorkDirectory();
            log.close();
        }
    }

    /** Records how a failed attempt ended and what Temporal is told: whatever the interrupt of a lost one threw. */
    private static RuntimeException ended(StageRuntime runtime, StageInput input, int attempt, String abandoned,
                                          Exception e) {
        if (abandoned != null) {
            runtime.ledger().runs().attemptEnded(input.stageRowId(), attempt, "LOST", abandoned);
            return e instanceof AttemptWatch.AttemptAbandonedException lost ? lost
                    : new AttemptWatch.AttemptAbandonedException(abandoned);
        }
        if (e instanceof InvalidInputException) {
            runtime.ledger().runs().attemptEnded(input.stageRowId(), attempt, "FAILED", e.getMessage());
            return ApplicationFailure.newNonRetryableFailureWithCause(e.getMessage(), StageFailures.INVALID_INPUT, e);
        }
        // A stage's own code may wrap the cancel its heartbeat threw (e.g. inside a reader's callback).
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ActivityCanceledException cancelled) {
                runtime.ledger().runs().attemptEnded(input.stageRowId(), attempt, "CANCELLED", null);
                return cancelled;
            }
        }
        runtime.ledger().runs().attemptEnded(input.stageRowId(), attempt, "FAILED", stackOf(e));
        return Activity.wrap(e);
    }

    /** Most stack traces fit; a deep chain of causes is cut rather than bloating the ledger. */
    private static final int MAX_STACK_CHARS = 16_000;

    /** An unexpected failure as its stack trace, causes included, so the console can show where it happened. */
    static String stackOf(Throwable e) {
        StringWriter out = new StringWriter();
        e.printStackTrace(new PrintWriter(out));
        String stack = out.toString().strip();
        return stack.length() <= MAX_STACK_CHARS ? stack : stack.substring(0, MAX_STACK_CHARS) + "\n\t... (cut)";
    }

    /**
     * The attempt's scratch folder, created on first use and deleted with everything in it when the attempt ends,
     * however it ends, so no stage repeats that opening and cleanup.
     */
    public Path workDirectory() throws IOException {
        if (workDirectory == null) {
            workDirectory = Files.createTempDirectory("lmforge-" + input.stage());
        }
        return workDirectory;
    }

    private void deleteWorkDirectory() {
        if (workDirectory != null) {
            try {
                WorkDirectory.delete(workDirectory);
            } catch (IOException e) {
                // The attempt's outcome stands; a leftover scratch folder is only disk.
                LOG.warn("could not delete the work directory {}: {}", workDirectory, e.toString());
            }
        }
    }

    public StageInput input() {
        return input;
    }

    /**
     * The input artifact {@code name} (one of {@link Outputs}); a spec whose stages lack it fails as bad input,
     * naming the stage that produces it.
     */
    public ArtifactRef requireInput(String name) {
        ArtifactRef ref = input.inputs().get(name);
        if (ref == null) {
            String producer = Stage.byId(input.stage()).flatMap(consumer -> Stage.producerOf(name, consumer))
                    .map(stage -> "the " + stage.id() + " stage's").orElse("an earlier stage's");
            throw new InvalidInputException("stages: " + input.stage() + " needs " + producer + " '" + name
                    + "' output before it");
        }
        return ref;
    }

    public ArtifactStore artifacts() {
        return runtime.artifacts();
    }

    /** The checkpoint that the previous attempt heartbeated, if any. */
    public <C> Optional<C> checkpoint(Class<C> type) {
        return activity.getHeartbeatDetails(type);
    }

    /**
     * Tells Temporal this worker is alive and where it has got to; a retry on another worker starts from the
     * newest checkpoint that reached the server. Throws if the run was cancelled, so the stage stops.
     */
    public void heartbeat(Object checkpoint) {
        watch.beat();
        activity.heartbeat(checkpoint);
    }

    /** The real path of a file that spec field {@code field} names, if the source roots of the run's team allow it; see {@link StageRuntime#readable}. */
    public Path readable(String field, Path path) {
        return runtime.readable(input.runId(), field, path);
    }

    /** A stream over a file that spec field {@code field} names, confined to the source roots; see {@link StageRuntime#open}. */
    public InputStream open(String field, Path path) {
        return runtime.open(input.runId(), field, path);
    }

    /** A fresh budget of what this attempt may read from its sources, under the worker's caps. */
    public ReadBudget readBudget() {
        return new ReadBudget(runtime.caps());
    }

    /** This attempt's run, stage and stage row, as the writer of what it stores. */
    public Producer producer() {
        return producerOf(input);
    }

    /** The run, stage and stage row of {@code input}, as the writer of what its attempts store. */
    public static Producer producerOf(StageInput input) {
        return new Producer(input.runId(), input.stage(), input.stageRowId());
    }

    /** Stores a file as an artifact of this stage ({@link StageRuntime#store}) and records its metadata. */
    public ArtifactRef putArtifact(Path file, String kind, Map<String, ?> metadata) {
        return record(runtime.store(file, kind, producer()), kind, metadata);
    }

    /** Stores bytes as an artifact of this stage ({@link StageRuntime#store}) and records its metadata. */
    public ArtifactRef putArtifact(byte[] bytes, String kind, Map<String, ?> metadata) {
        return record(runtime.store(bytes, kind, producer()), kind, metadata);
    }

    private ArtifactRef record(ArtifactStore.StoredObject stored, String kind, Map<String, ?> metadata) {
        runtime.ledger().artifacts().recordArtifact(stored.digest(), kind, stored.sizeBytes(), LedgerJson.toJson(metadata));
        return new ArtifactRef(stored.digest(), kind, stored.sizeBytes());
    }

    /** Appends a point to one of this stage's metric series. */
    public void metric(String name, long step, double value) {
        runtime.ledger().metrics().recordMetric(input.runId(), input.stage(), name, step, value);
    }

    /** Appends points to one of this stage's metric series in one write. */
    public void metrics(String name, List<Records.MetricPoint> points) {
        runtime.ledger().metrics().recordMetrics(input.runId(), input.stage(), name, points);
    }

    /** The ledger, for what the methods above do not cover (e.g. finding earlier checkpoints). */
    public Ledger ledger() {
        return runtime.ledger();
    }
}
