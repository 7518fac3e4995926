package dev.lmforge.workflows.sweep;

import dev.lmforge.workflows.stage.ArtifactRef;
import java.util.Map;

/**
 * A finished sweep: its fits as one {@code scaling-fit} JSON artifact, and the fitted constants as figures.
 *
 * @param fit     the artifact: every probe, every fit's points, constants with standard errors and residuals,
 *                and the laws a plan uses
 * @param summary the fitted constants and their standard errors by name (e.g. {@code isoflop.a})
 */
public record SweepOutcome(ArtifactRef fit, Map<String, Double> summary) {
}
