package dev.lmforge.web.console;

import dev.lmforge.services.config.LmforgeSettings;
import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.WorkerRegistry;
import dev.lmforge.services.ledger.WorkerRegistry.WorkerView;
import dev.lmforge.web.temporal.ControlPlane;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.TaskQueueType;
import io.temporal.api.taskqueue.v1.PollerInfo;
import io.temporal.api.taskqueue.v1.TaskQueue;
import io.temporal.api.workflowservice.v1.DescribeTaskQueueRequest;
import jakarta.annotation.PostConstruct;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The compute workers, for the console's workers page: each as it reports itself to the ledger (host, queues,
 * slots, what it runs now) and, beside that, when Temporal last saw it poll each queue. A worker that reports but
 * that Temporal does not see polling is stuck or cut off from Temporal; one that polls but does not report cannot
 * reach the ledger. Any signed-in user may look: the page names hosts and run ids, no data.
 */
@Path("/api/workers")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "workers", description = "The compute workers")
public class WorkerResource {

    /** Three missed reports and a worker is taken for gone. */
    static final Duration SEEN_WITHIN = WorkerRegistry.REPORT_INTERVAL.multipliedBy(3);

    @Inject
    Ledger ledger;
    @Inject
    ControlPlane controlPlane;
    @Inject
    LmforgeSettings settings;

    private WorkerRegistry registry;

    @PostConstruct
    void open() {
        registry = new WorkerRegistry(ledger.jdbc());
    }

    /** A worker and the queues Temporal saw it poll, with when it last did ({@code null} map: Temporal unreachable). */
    public record Worker(WorkerView worker, Map<String, Instant> lastPolled) {}

    /** The workers seen within {@code seenWithinSeconds}, and Temporal's answer about their polls. */
    public record Workers(List<Worker> workers, long seenWithinSeconds, String temporalProblem) {}

    @GET
    @Operation(summary = "List the compute workers", description = "The compute workers that reported themselves to "
            + "the ledger in the last seenWithinSeconds: identity, host, task queues, slots, the stage attempts each runs "
            + "now, and when Temporal last saw each poll its queues (null when Temporal did not answer, with "
            + "temporalProblem saying why).")
    @APIResponse(responseCode = "200", description = "The workers seen lately, newest report first.")
    public Workers workers() {
        Map<String, Map<String, Instant>> polls = new TreeMap<>();
        String problem = null;
        try {
            for (String queue : List.of(settings.cpuQueue(), settings.gpuQueue())) {
                for (PollerInfo poller : controlPlane.client().getWorkflowServiceStubs().blockingStub()
                        .withDeadlineAfter(3, TimeUnit.SECONDS)
                        .describeTaskQueue(DescribeTaskQueueRequest.newBuilder().setNamespace(settings.temporalNamespace())
                                .setTaskQueue(TaskQueue.newBuilder().setName(queue))
                                .setTaskQueueType(TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY).build())
                        .getPollersList()) {
                    polls.computeIfAbsent(poller.getIdentity(), k -> new TreeMap<>()).put(queue,
                            Instant.ofEpochSecond(poller.getLastAccessTime().getSeconds(), poller.getLastAccessTime().getNanos()));
                }
            }
        } catch (StatusRuntimeException e) {
            problem = "Temporal did not describe the task queues: " + e.getStatus().getCode();
        }
        List<Worker> workers = new ArrayList<>();
        for (WorkerView view : registry.seenWithin(SEEN_WITHIN)) {
            workers.add(new Worker(view, problem == null ? polls.getOrDefault(view.identity(), Map.of()) : null));
        }
        return new Workers(workers, SEEN_WITHIN.toSeconds(), problem);
    }
}
