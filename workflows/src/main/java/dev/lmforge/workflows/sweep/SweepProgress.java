package dev.lmforge.workflows.sweep;

/**
 * Where a sweep stands.
 *
 * @param phase       {@code designing}, a sweep kind whose probes are running, {@code fitting} or {@code done}
 * @param probesDone  probes finished so far
 * @param probesTotal probes designed so far
 */
public record SweepProgress(String phase, int probesDone, int probesTotal) {
}
