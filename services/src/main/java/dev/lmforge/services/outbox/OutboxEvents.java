package dev.lmforge.services.outbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.Outbox;
import dev.lmforge.services.ledger.Records.RunRecord;
import dev.lmforge.services.ledger.Records.StageRecord;
import dev.lmforge.services.ledger.RunStore;
import io.openlineage.client.OpenLineage.RunEvent.EventType;
import dev.lmforge.services.ledger.Records.MetricSummary;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the ledger's changes of runs and stages into outbox events for the sinks a run's team has (OpenLineage,
 * MLflow), queued right after the change, each with an idempotent key so that a retried ledger activity queues
 * nothing twice. With neither sink configured this costs one indexed lookup of the team's row per change. It never
 * throws: a failure to queue is logged, and the stage goes on.
 */
public final class OutboxEvents {

    private static final Logger LOG = LoggerFactory.getLogger(OutboxEvents.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The input under which a training stage reads its plan (workflows' {@code Outputs.PLAN}). */
    static final String PLAN_INPUT = "plan";
    /** The output under which a training stage hands on its model (workflows' {@code Outputs.MODEL}). */
    static final String MODEL_OUTPUT = "model";

    private final Ledger ledger;
    private final Outbox outbox;
    private final IntegrationSettings settings;

    public OutboxEvents(Ledger ledger, Outbox outbox, IntegrationSettings settings) {
        this.ledger = ledger;
        this.outbox = outbox;
        this.settings = settings;
    }

    /** After a run's status changed: RUNNING starts it, a terminal status ends it. */
    public void runStatusChanged(String runId, String status) {
        safely("run " + runId + " " + status, () -> {
            RunRecord run = ledger.runs().run(runId).orElseThrow();
            IntegrationSettings s = forRun(run);
            boolean start = status.equals("RUNNING");
            if (!start && !RunStore.TERMINAL.contains(status)) {
                return;
            }
            if (s.openLineageUrl() != null) {
                EventType type = start ? EventType.START : OpenLineageEvents.typeOf(status);
                Instant at = start ? run.startedAt() : run.endedAt();
                enqueue(run.id(), Outbox.OPENLINEAGE, s.openLineageUrl(), "run:" + runId + ":" + type, type.name(),
                        lineage(s).lifecycleEvent(run, type, at));
            }
            if (s.mlflowTrackingUri() != null) {
                ObjectNode p = JSON.createObjectNode().put("runId", runId);
                if (start) {
                    p.put("experiment", "lmforge/" + (s.mlflowExperimentBy().equals("spec") ? run.name()
                            : run.team() == null ? "no-team" : run.team()));
                    p.put("runName", run.name());
                    p.put("startTime", millis(run.startedAt()));
                    p.set("tags", JSON.valueToTree(Map.of("lmforge.run_id", runId, "lmforge.status", status,
                            "lmforge.console", s.consoleUrl() + "/run.html?id=" + runId, "lmforge.owner", run.owner())));
                    p.set("params", params(run.spec()));
                } else {
                    p.put("status", mlflowStatus(status));
                    p.put("endTime", millis(run.endedAt()));
                    if (s.mlflowLogHfModel() && status.equals("SUCCEEDED")) {
                        finalModel(runId).ifPresent(digest -> p.put("hfModel", digest));
                    }
                    p.set("tags", JSON.valueToTree(Map.of("lmforge.status", status)));
                }
                enqueue(run.id(), Outbox.MLFLOW, s.mlflowTrackingUri(), "run:" + runId + (start ? ":start" : ":end"),
                        start ? "run.start" : "run.end", p.toString());
            }
        });
    }

    /** After a stage row was opened: START, and for a reused row at once its end. */
    public void stageBegun(long stageRow) {
        forStage(stageRow, "began", (stage, run, s) -> {
            if (s.openLineageUrl() != null) {
                enqueue(run.id(), Outbox.OPENLINEAGE, s.openLineageUrl(), "stage:" + stageRow + ":START", "START",
                        lineage(s).stageEvent(stage, EventType.START, stage.startedAt()));
            }
            if (s.mlflowTrackingUri() != null) {
                ObjectNode p = JSON.createObjectNode().put("runId", run.id()).put("row", stageRow)
                        .put("stage", stage.stage()).put("startTime", millis(stage.startedAt()));
                Map<String, String> tags = new LinkedHashMap<>();
                tags.put("mlflow.runName", stage.stage());
                tags.put("lmforge.run_id", run.id());
                tags.put("lmforge.stage_row", Long.toString(stageRow));
                tags.put("lmforge.cache_key", stage.cacheKey());
                tags.put("lmforge.reused", Boolean.toString(stage.reusedFrom() != null));
                tags.put("lmforge.console", s.consoleUrl() + "/run.html?id=" + run.id());
                p.set("tags", JSON.valueToTree(tags));
                p.set("params", params(stage.config()));
                enqueue(run.id(), Outbox.MLFLOW, s.mlflowTrackingUri(), "stage:" + stageRow + ":start", "stage.start",
                        p.toString());
            }
            if (stage.reusedFrom() != null) {
                ended(stage, run, s);
            }
        });
    }

    /** When a stage row starts to run on a worker (it got its slot): RUNNING. */
    public void stageRunning(long stageRow) {
        forStage(stageRow, "running", (stage, run, s) -> {
            if (s.openLineageUrl() != null) {
                enqueue(run.id(), Outbox.OPENLINEAGE, s.openLineageUrl(), "stage:" + stageRow + ":RUNNING", "RUNNING",
                        lineage(s).stageEvent(stage, EventType.RUNNING, Instant.now()));
            }
        });
    }

    /** Most progress events of one stage row: the rate bound's cap, so a stage of months cannot flood the outbox. */
    public static final int MAX_PROGRESS_EVENTS = 1000;
    /** Most metric series whose latest values one progress event carries. */
    static final int MAX_PROGRESS_SERIES = 50;

    /**
     * Queues an OpenLineage progress event (RUNNING with facet {@code lmforge_progress}) for each stage running on a
     * worker whose metrics advanced since its last one, rate-bounded: the n-th progress event of a row (n from 0)
     * comes at least {@code progressInterval·(1 + n/60)} after the row's previous RUNNING event, and a row has at
     * most {@value #MAX_PROGRESS_EVENTS}. Called by the deliverer before each round; off with a zero interval.
     */
    public void queueProgress() {
        if (settings.progressInterval().isZero()) {
            return;
        }
        for (long row : outbox.runningStageRows()) {
            forStage(row, "progress", (stage, run, s) -> {
                if (s.openLineageUrl() == null) {
                    return;
                }
                Outbox.ProgressState state = outbox.progress(run.id(), row).orElse(null);
                if (state == null || state.events() >= MAX_PROGRESS_EVENTS
                        || state.secondsSinceLast() < progressWait(s.progressInterval(), state.events()).toNanos() / 1e9) {
                    return;
                }
                OpenLineageEvents.Progress progress = progressOf(stage, state.events() + 1);
                if (progress == null || (state.lastStep() != null && progress.step() <= state.lastStep())) {
                    return; // nothing new to report
                }
                enqueue(run.id(), Outbox.OPENLINEAGE, s.openLineageUrl(), "stage:" + row + ":PROGRESS:" + progress.sequence(),
                        Outbox.PROGRESS, lineage(s).progressEvent(stage, progress, Instant.now()));
            });
        }
    }

    /** The wait before the {@code n}-th progress event of a row (n from 0): {@code interval·(1 + n/60)}. */
    static Duration progressWait(Duration interval, int n) {
        return Duration.ofNanos(Math.round(interval.toNanos() * (1 + n / 60.0)));
    }

    /**
     * What the ledger knows of a running stage's progress: the newest step of its metric series, their latest
     * values, loss, and, for a stage that reads a plan, the plan's total steps and tokens per step. Null while the
     * stage has recorded no metric.
     */
    private OpenLineageEvents.Progress progressOf(StageRecord stage, int sequence) {
        List<MetricSummary> series = ledger.metrics().metricSummaries(stage.runId()).stream()
                .filter(m -> m.stage().equals(stage.stage())).toList();
        if (series.isEmpty()) {
            return null;
        }
        long step = series.stream().mapToLong(MetricSummary::lastStep).max().orElse(0);
        Map<String, Double> latest = new TreeMap<>();
        // JSON has no NaN or infinity: a series whose latest value is one is left out.
        series.stream().filter(m -> Double.isFinite(m.lastValue())).limit(MAX_PROGRESS_SERIES)
                .forEach(m -> latest.put(m.name(), m.lastValue()));
        Double loss = latest.get("loss");
        Long totalSteps = null;
        Long tokens = series.stream().filter(m -> m.name().equals("tokens")).map(m -> (long) m.lastValue()).findFirst().orElse(null);
        String plan = stage.inputs().get(PLAN_INPUT);
        if (plan != null) {
            JsonNode summary = outbox.producer(plan).flatMap(p -> ledger.runs().stage(p.stageRow()))
                    .map(p -> readTree(p.summary())).orElse(null);
            if (summary != null && summary.path("steps").isNumber()) {
                totalSteps = summary.path("steps").asLong();
            }
            if (summary != null && summary.path("batchTokens").isNumber()) {
                tokens = step * summary.path("batchTokens").asLong();
            }
        }
        long elapsed = stage.startedAt() == null ? 0 : Duration.between(stage.startedAt(), Instant.now()).toSeconds();
        return new OpenLineageEvents.Progress(sequence, step, totalSteps, tokens, loss, Math.max(0, elapsed), latest);
    }

    private static JsonNode readTree(String json) {
        try {
            return json == null ? null : JSON.readTree(json);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /** After a stage row ended (succeeded, failed, cancelled, interrupted). */
    public void stageEnded(long stageRow) {
        forStage(stageRow, "ended", this::ended);
    }

    /** What a hook does with a stage row, its run and the run's team's settings. */
    private interface StageHook {
        void queue(StageRecord stage, RunRecord run, IntegrationSettings settings);
    }

    private void forStage(long stageRow, String what, StageHook hook) {
        safely("stage row " + stageRow + " " + what, () -> {
            StageRecord stage = ledger.runs().stage(stageRow).orElseThrow();
            RunRecord run = ledger.runs().run(stage.runId()).orElseThrow();
            hook.queue(stage, run, forRun(run));
        });
    }

    private void ended(StageRecord stage, RunRecord run, IntegrationSettings s) {
        if (s.openLineageUrl() != null) {
            EventType type = OpenLineageEvents.typeOf(stage.status());
            enqueue(run.id(), Outbox.OPENLINEAGE, s.openLineageUrl(), "stage:" + stage.id() + ":END", type.name(),
                    lineage(s).stageEvent(stage, type, stage.endedAt()));
        }
        if (s.mlflowTrackingUri() != null) {
            ObjectNode p = JSON.createObjectNode().put("runId", run.id()).put("row", stage.id())
                    .put("stage", stage.stage()).put("status", mlflowStatus(stage.status()))
                    .put("endTime", millis(stage.endedAt()));
            Map<String, String> tags = new LinkedHashMap<>();
            tags.put("lmforge.status", stage.status());
            stage.outputs().forEach((name, digest) ->
                    tags.put("lmforge.artifact." + name, s.consoleUrl() + "/api/artifacts/" + digest));
            p.set("tags", JSON.valueToTree(tags));
            enqueue(run.id(), Outbox.MLFLOW, s.mlflowTrackingUri(), "stage:" + stage.id() + ":end", "stage.end",
                    p.toString());
        }
    }

    /** The model of a run's last stage row that ended with one (the aligned model, else the pretrained one). */
    private java.util.Optional<String> finalModel(String runId) {
        return ledger.runs().stages(runId).stream()
                .filter(st -> st.status().equals("SUCCEEDED") || st.status().equals("REUSED"))
                .filter(st -> st.outputs().containsKey(MODEL_OUTPUT))
                .reduce((a, b) -> b.id() > a.id() ? b : a).map(st -> st.outputs().get(MODEL_OUTPUT));
    }

    private IntegrationSettings forRun(RunRecord run) {
        return run.team() == null ? settings : settings.forTeam(outbox.team(run.team()).orElse(null));
    }

    private OpenLineageEvents lineage(IntegrationSettings s) {
        return new OpenLineageEvents(s.openLineageNamespace(), s.s3Bucket(), ledger.artifacts()::artifact, outbox::producer);
    }

    private void enqueue(String runId, String sink, String endpoint, String key, String kind, String payload) {
        outbox.enqueue(runId, sink, endpoint, sink + ":" + key, kind, payload);
    }

    /** MLflow's run status for an lmforge status. */
    static String mlflowStatus(String status) {
        return switch (status) {
            case "SUCCEEDED", "REUSED" -> "FINISHED";
            case "CANCELLED" -> "KILLED";
            case "RUNNING", "QUEUED" -> "RUNNING";
            default -> "FAILED";
        };
    }

    /** A JSON document's leaves as dotted names and text values ({@code training.steps = 200}). */
    static ObjectNode params(String json) {
        ObjectNode out = JSON.createObjectNode();
        if (json == null) {
            return out;
        }
        try {
            flatten("", JSON.readTree(json), out);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the ledger holds JSON it cannot read back", e);
        }
        return out;
    }

    private static void flatten(String prefix, JsonNode node, ObjectNode out) {
        if (node == null || node.isNull()) {
            return;
        }
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                flatten(prefix + "." + i, node.get(i), out);
            }
        } else if (!prefix.isEmpty()) {
            out.put(prefix, node.asText());
        }
    }

    private static long millis(Instant at) {
        return (at == null ? Instant.now() : at).toEpochMilli();
    }

    private static void safely(String what, Runnable body) {
        try {
            body.run();
        } catch (RuntimeException e) {
            LOG.warn("outbox: could not queue the events of {}; the run goes on without them", what, e);
        }
    }
}
