package dev.lmforge.web.ledger;

import dev.lmforge.services.ledger.Records.StageRecord;
import dev.lmforge.services.ledger.RunStore;
import dev.lmforge.workflows.LifecycleWorkflow;
import dev.lmforge.workflows.stage.Stage;
import io.grpc.StatusRuntimeException;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowException;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * The per-team limit of running stages on one task queue: claims a slot for a stage row, and wakes the oldest
 * waiting stages of the team (by the {@link LifecycleWorkflow#slotFreed()} signal) when a slot frees or is taken.
 * Both the ledger activities (a stage ends) and the start-up reconciler (a run is marked {@code INTERRUPTED}) free
 * slots, so both wake the next in line through this one class.
 */
public final class TeamSlots {

    private static final Logger LOG = Logger.getLogger(TeamSlots.class);
    private final RunStore runs;
    private final int perQueue;

    /**
     * @param perQueue how many stages of one team may run at once on one task queue; 0 for no limit
     */
    public TeamSlots(RunStore runs, int perQueue) {
        this.runs = runs;
        this.perQueue = perQueue;
    }

    /** Whether stage row {@code stageRowId} now holds one of its team's slots on {@code queue}. */
    public boolean claim(long stageRowId, String queue) {
        return runs.claimSlot(stageRowId, queue, limit(), stagesSharingQueue(stageRowId));
    }

    /** Wakes the next in line for the slot that stage row {@code stageRowId} held, now that its row has ended. */
    public void released(Supplier<WorkflowClient> client, long stageRowId) {
        if (perQueue <= 0) {
            return; // no limit: no stage ever waits
        }
        String queue = stageOf(stageRowId).slotQueue();
        if (queue != null) {
            wakeWaiters(client, stageRowId, queue);
        }
    }

    /**
     * Signals the workflows of the team's stages that may now take a slot on {@code queue} (see
     * {@link RunStore#slotWaitersToWake}), so that they try at once instead of at their next timed try. A signal
     * that fails (its workflow just ended) is only logged: the stage's timed tries still find the slot. The client
     * is only asked for when there is a limit, so a caller outside an activity need not have one without it.
     */
    public void wakeWaiters(Supplier<WorkflowClient> client, long stageRowId, String queue) {
        if (perQueue <= 0) {
            return; // no limit: no stage ever waits
        }
        for (String workflowId : runs.slotWaitersToWake(stageRowId, queue, limit(), stagesSharingQueue(stageRowId))) {
            try {
                client.get().newWorkflowStub(LifecycleWorkflow.class, workflowId).slotFreed();
            } catch (WorkflowException | StatusRuntimeException e) {
                LOG.warnf("could not wake workflow %s for a freed slot (it tries again on its timer): %s",
                        workflowId, e.getMessage());
            }
        }
    }

    private int limit() {
        return perQueue > 0 ? perQueue : Integer.MAX_VALUE;
    }

    /** The names of the stages that run on the same kind of queue as stage row {@code stageRowId}. */
    private List<String> stagesSharingQueue(long stageRowId) {
        Stage stage = Stage.byId(stageOf(stageRowId).stage()).orElseThrow(() ->
                new IllegalStateException("stage row " + stageRowId + " names no known stage"));
        return Arrays.stream(Stage.values()).filter(s -> s.queue() == stage.queue()).map(Stage::id).toList();
    }

    private StageRecord stageOf(long stageRowId) {
        return runs.stage(stageRowId).orElseThrow(() ->
                new IllegalStateException("stage row " + stageRowId + " is not in the ledger"));
    }
}
