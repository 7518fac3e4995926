package dev.lmforge.workflows;

import io.temporal.client.WorkflowClient;
import java.util.List;
import java.util.function.Function;

/**
 * Starts a compute worker: the stage activities, polling the given task queues. The control plane finds the
 * implementation through {@link java.util.ServiceLoader} to run one compute worker in process in local mode,
 * without compiling against any activity implementation.
 */
public interface ComputeWorkerLauncher {

    /**
     * @param client   the Temporal client to poll with
     * @param settings configuration lookup by dotted key (e.g. {@code lmforge.s3.endpoint}); null when unset
     * @param queues   the task queues to poll
     * @return closing it stops the worker
     */
    AutoCloseable start(WorkflowClient client, Function<String, String> settings, List<String> queues) throws Exception;
}
