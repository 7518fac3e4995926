package dev.lmforge.web.temporal;

import dev.lmforge.services.ledger.AuditLog;
import dev.lmforge.services.ledger.LedgerJson;
import dev.lmforge.services.ledger.Records.RunRecord;
import dev.lmforge.services.ledger.RunStore;
import dev.lmforge.services.outbox.OutboxEvents;
import dev.lmforge.web.ledger.TeamSlots;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.serviceclient.WorkflowServiceStubs;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Squares the ledger with Temporal at start-up. On a real Temporal server a run that was going on when lmforge
 * died is still running there, and simply goes on. Only a run whose workflow Temporal no longer knows (the
 * fallback test server keeps its state in memory, so after a restart it knows none; a real server whose state file
 * was removed, or whose retention dropped the workflow) or that Temporal closed without the ledger hearing of it is
 * marked {@code INTERRUPTED}; {@code resume} then starts a linked run that reuses its completed stages.
 */
@ApplicationScoped
public class RunReconciler {

    private static final Logger LOG = Logger.getLogger(RunReconciler.class);

    @Inject
    RunStore runStore;
    @Inject
    AuditLog audit;
    @Inject
    OutboxEvents outbox;

    /**
     * Marks the runs that cannot go on {@code INTERRUPTED}, and wakes the stages waiting for the team slots that
     * their running stages held: those stages of other runs go on in Temporal and would otherwise wait for their
     * next timed try, up to a minute away.
     */
    public void reconcile(WorkflowClient client, TeamSlots slots) {
        for (RunRecord run : runStore.runsWithStatus(Set.of("QUEUED", "RUNNING", "PAUSED"))) {
            String reason = whyInterrupted(client.getWorkflowServiceStubs(), client.getOptions().getNamespace(), run);
            if (reason != null) {
                List<Long> open = runStore.stages(run.id()).stream().filter(s -> s.status().equals("RUNNING"))
                        .map(s -> s.id()).toList();
                runStore.interruptRun(run.id(), reason);
                open.forEach(outbox::stageEnded);
                open.forEach(stage -> slots.released(() -> client, stage));
                outbox.runStatusChanged(run.id(), "INTERRUPTED");
                audit.append("system", "run.interrupted", run.id(), LedgerJson.toJson(Map.of("reason", reason)));
                LOG.warnf("run %s is INTERRUPTED: %s; 'lmforge resume %s' goes on from its completed stages",
                        run.id(), reason, run.id());
            }
        }
    }

    /** Null while Temporal still runs the workflow; else why the run cannot go on by itself. */
    private static String whyInterrupted(WorkflowServiceStubs service, String namespace, RunRecord run) {
        if (run.workflowId() == null) {
            return "its workflow never started";
        }
        try {
            WorkflowExecutionStatus status = service.blockingStub().describeWorkflowExecution(
                    DescribeWorkflowExecutionRequest.newBuilder().setNamespace(namespace)
                            .setExecution(WorkflowExecution.newBuilder().setWorkflowId(run.workflowId())
                                    .setRunId(run.temporalRunId() == null ? "" : run.temporalRunId()))
                            .build()).getWorkflowExecutionInfo().getStatus();
            return status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING ? null
                    : "Temporal closed its workflow as " + status.name().replace("WORKFLOW_EXECUTION_STATUS_", "")
                    + " without the ledger hearing of it";
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                return "Temporal no longer knows its workflow (its state was lost: the fallback test server restarted, or the "
                        + "server's state file was removed)";
            }
            throw e;
        }
    }
}
