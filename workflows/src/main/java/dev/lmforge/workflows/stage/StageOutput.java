package dev.lmforge.workflows.stage;

import java.util.Map;

/** What a stage produced: named output artifacts and summary figures (documents, tokens, loss, ...). */
public record StageOutput(Map<String, ArtifactRef> outputs, Map<String, Double> summary) {
}
