package dev.lmforge.web.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lmforge.services.ledger.AuditLog;
import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.LedgerJson;
import dev.lmforge.services.ledger.Records.StageRecord;
import dev.lmforge.services.outbox.OutboxEvents;
import dev.lmforge.workflows.ledger.LedgerActivities;
import dev.lmforge.workflows.ledger.StageStart;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.CacheKey;
import dev.lmforge.workflows.stage.Stage;
import dev.lmforge.workflows.stage.StageOutput;
import io.temporal.activity.Activity;
import io.temporal.client.WorkflowClient;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The ledger activities on the control plane's queue; see {@link LedgerActivities}. Every change of a run's or a
 * stage's state is also an audit event by {@code system} about the run ({@code run.running}, {@code run.succeeded},
 * {@code stage.started}, {@code stage.retried}, {@code stage.failed}, ...), beside the users' requests that
 * {@code RunService} audits ({@code run.submit}, {@code run.cancel}, ...).
 */
public final class LedgerActivitiesImpl implements LedgerActivities {

    /** The actor of state changes that no user made directly: the workflows moving runs along. */
    static final String ACTOR = "system";
    private final Ledger ledger;
    private final AuditLog audit;
    private final TeamSlots slots;
    private final OutboxEvents outbox;

    /**
     * @param teamStagesPerQueue how many stages of one team may run at once on one task queue; 0 for no limit
     */
    public LedgerActivitiesImpl(Ledger ledger, AuditLog audit, int teamStagesPerQueue, OutboxEvents outbox) {
        this.ledger = ledger;
        this.audit = audit;
        this.slots = new TeamSlots(ledger.runs(), teamStagesPerQueue);
        this.outbox = outbox;
    }

    @Override
    public boolean claimSlot(long stageRowId, String queue) {
        boolean claimed = slots.claim(stageRowId, queue);
        if (claimed) {
            // The stage is about to run on a worker: OpenLineage's RUNNING (queued once per row).
            outbox.stageRunning(stageRowId);
            // It may have been the one that held the next in line back while slots were free.
            slots.wakeWaiters(LedgerActivitiesImpl::client, stageRowId, queue);
        }
        return claimed;
    }

    /** The client of the activity running now, which signals the workflows waiting for a slot. */
    private static WorkflowClient client() {
        return Activity.getExecutionContext().getWorkflowClient();
    }

    private StageRecord stageOf(long stageRowId) {
        return ledger.runs().stage(stageRowId).orElseThrow(() ->
                new IllegalStateException("stage row " + stageRowId + " is not in the ledger"));
    }

    @Override
    public void runStatus(String runId, String status, String error) {
        // Only a real change is audited: a late write to a run that already ended changes nothing.
        if (ledger.runs().setRunStatus(runId, status, error)) {
            Map<String, Object> details = new LinkedHashMap<>();
            if (error != null) {
                details.put("error", firstLine(error));
            }
            audit.append(ACTOR, "run." + status.toLowerCase(Locale.ROOT), runId, LedgerJson.toJson(details));
            outbox.runStatusChanged(runId, status);
        }
    }

    @Override
    public StageStart beginStage(String runId, String stageId, JsonNode config, Map<String, ArtifactRef> inputs) {
        Stage stage = Stage.byId(stageId).orElseThrow(() -> new IllegalArgumentException("unknown stage " + stageId));
        String key = CacheKey.of(stage, config, inputs);
        Map<String, String> inputDigests = new LinkedHashMap<>();
        inputs.forEach((name, ref) -> inputDigests.put(name, ref.digest()));
        Optional<StageRecord> hit = ledger.runs().succeededStageWithKey(key);
        Long reusedFrom = hit.map(StageRecord::id).orElse(null);
        long row = ledger.runs().beginStage(runId, stageId, stage.codeVersion(), key, LedgerJson.toJson(config),
                inputDigests, reusedFrom);
        Map<String, Object> details = new LinkedHashMap<>(Map.of("stage", stageId, "row", row, "cacheKey", key));
        if (reusedFrom != null) {
            details.put("reusedFrom", reusedFrom);
        }
        audit.append(ACTOR, reusedFrom == null ? "stage.started" : "stage.reused", runId, LedgerJson.toJson(details));
        outbox.stageBegun(row);
        StageOutput reused = hit.map(h -> new StageOutput(outputsOf(h), LedgerJson.summaryOf(h.summary()))).orElse(null);
        return new StageStart(row, key, reused, reusedFrom);
    }

    private Map<String, ArtifactRef> outputsOf(StageRecord stage) {
        Map<String, ArtifactRef> outputs = new LinkedHashMap<>();
        stage.outputs().forEach((name, digest) -> {
            var artifact = ledger.artifacts().artifact(digest).orElseThrow(() ->
                    new IllegalStateException("stage row " + stage.id() + " names artifact " + digest + ", which the ledger lacks"));
            outputs.put(name, new ArtifactRef(digest, artifact.kind(), artifact.sizeBytes()));
        });
        return outputs;
    }

    @Override
    public void stageSucceeded(long stageRowId, StageOutput output) {
        Map<String, String> digests = new LinkedHashMap<>();
        output.outputs().forEach((name, ref) -> digests.put(name, ref.digest()));
        ledger.runs().stageSucceeded(stageRowId, digests, LedgerJson.toJson(output.summary()));
        auditEnd(stageRowId, "SUCCEEDED", Map.of("outputs", digests));
        outbox.stageEnded(stageRowId);
        slots.released(LedgerActivitiesImpl::client, stageRowId);
    }

    @Override
    public void stageEnded(long stageRowId, String status, String error) {
        if (ledger.runs().stageEnded(stageRowId, status, error)) {
            auditEnd(stageRowId, status, error == null ? Map.of() : Map.of("error", firstLine(error)));
            outbox.stageEnded(stageRowId);
            slots.released(LedgerActivitiesImpl::client, stageRowId);
        }
    }

    /**
     * Audits a stage's end, after the {@code stage.retried} events of any attempt the {@link AuditClock} has not yet
     * audited, so a stage's retries always come before its end in the log.
     */
    private void auditEnd(long stageRowId, String status, Map<String, Object> extra) {
        RetryAudit.auditPending(ledger, audit, stageRowId);
        StageRecord stage = stageOf(stageRowId);
        Map<String, Object> details = new LinkedHashMap<>(Map.of("stage", stage.stage(), "row", stageRowId,
                "attempts", stage.attempts().size()));
        details.putAll(extra);
        audit.append(ACTOR, "stage." + status.toLowerCase(Locale.ROOT), stage.runId(), LedgerJson.toJson(details));
    }

    /** The first line of an error, at most 300 characters: the audit log says what happened, the ledger keeps the stack. */
    static String firstLine(String error) {
        String line = error.lines().findFirst().orElse("");
        return line.length() <= 300 ? line : line.substring(0, 300) + "...";
    }
}
