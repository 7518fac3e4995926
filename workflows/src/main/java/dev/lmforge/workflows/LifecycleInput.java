package dev.lmforge.workflows;

import dev.lmforge.workflows.spec.LifecycleSpec;

/**
 * The lifecycle workflow's argument: the ledger's run id, the validated spec, and the compute task queues
 * (resolved from configuration by the control plane, so that workflow code reads no environment).
 */
public record LifecycleInput(String runId, LifecycleSpec spec, String cpuQueue, String gpuQueue) {
}
