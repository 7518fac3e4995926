package dev.lmforge.workflows.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.StageOutput;
import io.temporal.activity.ActivityInterface;
import java.util.Map;

/**
 * The lifecycle's writes to the ledger (PostgreSQL), run as short activities on the control plane's queue so
 * that workflow code stays deterministic and every write is retried until it lands.
 */
@ActivityInterface
public interface LedgerActivities {

    /** Sets the run's status ({@code RUNNING}, {@code PAUSED}, {@code SUCCEEDED}, ...) and, when it failed, why. */
    void runStatus(String runId, String status, String error);

    /**
     * Opens the ledger row of one stage execution. The cache key hashes the stage's name and code version, its
     * config and its input digests; if a completed row has the same key, the new row is marked reused, its
     * lineage points at the same artifacts, and the earlier outputs come back in {@link StageStart#reused()}.
     */
    StageStart beginStage(String runId, String stage, JsonNode config, Map<String, ArtifactRef> inputs);

    /**
     * Takes one of the run's team's slots on {@code queue} for running stage {@code stageRowId}, if the team is
     * below its limit of running stages there ({@code lmforge.limits.team-stages-per-queue}); false while it is
     * not, and the stage waits. The team's waiting stages are served oldest first: a stage gets a slot only if
     * the stages that hold one and those that have waited longer leave one free. A stage holds its slot until its
     * row stops running; then, and when a stage takes a slot, the next in line are woken by
     * {@link dev.lmforge.workflows.LifecycleWorkflow#slotFreed()}.
     */
    boolean claimSlot(long stageRowId, String queue);

    /** Marks the stage row succeeded and records its outputs and their lineage. */
    void stageSucceeded(long stageRowId, StageOutput output);

    /** Marks the stage row failed (or cancelled, or interrupted) with its error. */
    void stageEnded(long stageRowId, String status, String error);
}
