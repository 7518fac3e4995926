package dev.lmforge.activities.model;

/**
 * What one optimizer step reports.
 *
 * @param loss         mean next-token cross-entropy (nats) over the step's weighted positions, before the update
 * @param gradientNorm the global gradient norm before clipping
 */
public record StepResult(double loss, double gradientNorm) {
}
