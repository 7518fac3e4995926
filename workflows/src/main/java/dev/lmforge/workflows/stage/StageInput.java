package dev.lmforge.workflows.stage;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * What a stage activity receives: the run, the ledger row of this stage execution (so the compute side can
 * record attempts, metrics and artifacts against it), the stage's config section of the spec, and the named
 * artifacts it consumes.
 */
public record StageInput(String runId, long stageRowId, String stage, JsonNode config,
                         Map<String, ArtifactRef> inputs) {
}
