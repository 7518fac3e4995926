package dev.lmforge.web.observability;

import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.config.LmforgeSettings;
import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.OperationsReadings;
import dev.lmforge.services.ledger.OperationsReadings.Snapshot;
import dev.lmforge.web.temporal.ControlPlane;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.MultiGauge.Row;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.temporal.api.enums.v1.TaskQueueType;
import io.temporal.api.taskqueue.v1.TaskQueue;
import io.temporal.api.workflowservice.v1.DescribeTaskQueueRequest;
import io.temporal.api.workflowservice.v1.DescribeTaskQueueResponse;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.jboss.logging.Logger;

/**
 * lmforge's own Prometheus metrics on {@code /q/metrics}, beside Quarkus' JVM and HTTP ones: runs by status and
 * team, stage executions, attempts and durations by stage, the backlog and pollers of every task queue (asked of
 * Temporal), attempts running per worker, loss, tokens/s and checkpoint age of each running pretraining, the
 * artifact bytes this process moved, and the audit chain's head. The ledger and Temporal are read every
 * {@link #REFRESH_SECONDS} seconds on a thread of its own, not on each scrape, so a scrape never waits on them and
 * many scrapers cost no more than one. Artifact bytes count what this process moved: a compute worker elsewhere
 * moves its own, unseen here.
 */
@ApplicationScoped
public class OperationsMetrics {

    private static final Logger LOG = Logger.getLogger(OperationsMetrics.class);
    /** How stale a figure may be: a scrape interval of Prometheus' default order, cheap against the ledger. */
    static final int REFRESH_SECONDS = 10;

    @Inject
    MeterRegistry registry;
    @Inject
    Ledger ledger;
    @Inject
    ArtifactStore artifacts;
    @Inject
    ControlPlane controlPlane;
    @Inject
    LmforgeSettings settings;

    private OperationsReadings readings;
    private MultiGauge runs;
    private MultiGauge stageExecutions;
    private MultiGauge stageAttempts;
    private MultiGauge stageMeanSeconds;
    private MultiGauge stageMaxSeconds;
    private MultiGauge workerAttempts;
    private MultiGauge training;
    private MultiGauge checkpointAge;
    private MultiGauge queueBacklog;
    private MultiGauge queuePollers;
    private final AtomicLong auditHead = new AtomicLong();
    private final AtomicLong lastRefresh = new AtomicLong();
    private ScheduledExecutorService refresher;
    private final List<Meter> meters = new ArrayList<>();

    void start(@Observes StartupEvent event) {
        readings = new OperationsReadings(ledger.jdbc());
        runs = gauge("lmforge.runs", "Runs by status and team");
        stageExecutions = gauge("lmforge.stage.executions", "Finished stage executions (reused ones excluded) by stage and status");
        stageAttempts = gauge("lmforge.stage.attempts", "Activity attempts of finished stage executions by stage and status");
        stageMeanSeconds = gauge("lmforge.stage.duration.mean.seconds", "Mean wall time of finished stage executions");
        stageMaxSeconds = gauge("lmforge.stage.duration.max.seconds", "Longest wall time of a finished stage execution");
        workerAttempts = gauge("lmforge.worker.running.attempts", "Stage attempts running on each compute worker");
        training = gauge("lmforge.training.latest", "Newest pretraining loss and tokens/s of each running run");
        checkpointAge = gauge("lmforge.training.checkpoint.age.seconds", "Seconds since a running run's newest checkpoint");
        queueBacklog = gauge("lmforge.task.queue.backlog", "Tasks waiting on each Temporal task queue (Temporal's estimate)");
        queuePollers = gauge("lmforge.task.queue.pollers", "Workers polling each Temporal task queue");
        meters.add(Gauge.builder("lmforge.audit.chain.head", auditHead, AtomicLong::get)
                .description("Id of the newest audit event").register(registry));
        meters.add(Gauge.builder("lmforge.metrics.refreshed.age.seconds", lastRefresh,
                        at -> at.get() == 0 ? Double.NaN : (System.currentTimeMillis() - at.get()) / 1000.0)
                .description("Seconds since lmforge's metrics were last read from the ledger and Temporal").register(registry));
        meters.add(FunctionCounter.builder("lmforge.artifact.bytes", artifacts, ArtifactStore::bytesUploaded)
                .tag("direction", "in").description("Artifact bytes this process sent to the store").register(registry));
        meters.add(FunctionCounter.builder("lmforge.artifact.bytes", artifacts, ArtifactStore::bytesRead)
                .tag("direction", "out").description("Artifact bytes this process read from the store").register(registry));
        refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lmforge-metrics");
            t.setDaemon(true);
            return t;
        });
        refresher.scheduleWithFixedDelay(this::refresh, 0, REFRESH_SECONDS, TimeUnit.SECONDS);
    }

    /**
     * Stops reading and takes every meter off the registry: a registry that outlives this application (a restart
     * in dev mode or between test classes) would otherwise keep meters bound to this instance's objects and hand
     * them back, dead, to the next one that registers the same names.
     */
    void stop(@Observes ShutdownEvent event) {
        if (refresher != null) {
            refresher.shutdownNow();
        }
        for (MultiGauge gauge : List.of(runs, stageExecutions, stageAttempts, stageMeanSeconds, stageMaxSeconds,
                workerAttempts, training, checkpointAge, queueBacklog, queuePollers)) {
            gauge.register(List.of(), true);
        }
        meters.forEach(registry::remove);
        meters.clear();
    }

    private MultiGauge gauge(String name, String description) {
        return MultiGauge.builder(name).description(description).register(registry);
    }

    /** Reads the ledger and Temporal now; a failure keeps the previous figures and says why in the log. */
    public void refresh() {
        try {
            Snapshot now = readings.read();
            runs.register(rows(now.runs(), r -> Tags.of("status", r.status(), "team", r.team()), r -> r.runs()), true);
            stageExecutions.register(rows(now.stages(), s -> Tags.of("stage", s.stage(), "status", s.status()),
                    s -> s.executions()), true);
            stageAttempts.register(rows(now.stages(), s -> Tags.of("stage", s.stage(), "status", s.status()),
                    s -> s.attempts()), true);
            stageMeanSeconds.register(rows(now.stages(), s -> Tags.of("stage", s.stage(), "status", s.status()),
                    s -> s.meanSeconds()), true);
            stageMaxSeconds.register(rows(now.stages(), s -> Tags.of("stage", s.stage(), "status", s.status()),
                    s -> s.maxSeconds()), true);
            workerAttempts.register(rows(now.workers(), w -> Tags.of("worker", w.worker()), w -> w.runningAttempts()), true);
            training.register(rows(now.training(), t -> Tags.of("run", t.runId(), "team", t.team(), "metric", t.metric()),
                    t -> t.value()), true);
            checkpointAge.register(rows(now.checkpoints(), c -> Tags.of("run", c.runId(), "team", c.team()),
                    c -> c.seconds()), true);
            auditHead.set(now.auditHead());
            lastRefresh.set(System.currentTimeMillis());
        } catch (RuntimeException e) {
            LOG.warnf("lmforge metrics: could not read the ledger: %s", e.getMessage());
        }
        try {
            refreshQueues();
        } catch (RuntimeException e) {
            LOG.warnf("lmforge metrics: could not describe the task queues to Temporal: %s", e.getMessage());
        }
    }

    private void refreshQueues() {
        List<Row<?>> backlog = new ArrayList<>();
        List<Row<?>> pollers = new ArrayList<>();
        describe(settings.controlQueue(), TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, backlog, pollers);
        for (String queue : List.of(settings.controlQueue(), settings.cpuQueue(), settings.gpuQueue())) {
            describe(queue, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY, backlog, pollers);
        }
        queueBacklog.register(backlog, true);
        queuePollers.register(pollers, true);
    }

    private void describe(String queue, TaskQueueType type, List<Row<?>> backlog, List<Row<?>> pollers) {
        DescribeTaskQueueResponse answer = controlPlane.client().getWorkflowServiceStubs().blockingStub()
                .withDeadlineAfter(3, TimeUnit.SECONDS)
                .describeTaskQueue(DescribeTaskQueueRequest.newBuilder().setNamespace(settings.temporalNamespace())
                        .setTaskQueue(TaskQueue.newBuilder().setName(queue)).setTaskQueueType(type)
                        .setReportStats(true).build());
        Tags tags = Tags.of("queue", queue, "type", type == TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW ? "workflow" : "activity");
        backlog.add(Row.of(tags, answer.getStats().getApproximateBacklogCount()));
        pollers.add(Row.of(tags, answer.getPollersCount()));
    }

    private static <T> List<Row<?>> rows(List<T> items, Function<T, Tags> tags, ToDoubleFunction<T> value) {
        List<Row<?>> rows = new ArrayList<>(items.size());
        for (T item : items) {
            rows.add(Row.of(tags.apply(item), value.applyAsDouble(item)));
        }
        return rows;
    }
}
