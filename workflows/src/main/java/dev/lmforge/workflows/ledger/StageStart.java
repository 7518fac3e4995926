package dev.lmforge.workflows.ledger;

import dev.lmforge.workflows.stage.StageOutput;

/**
 * The ledger's answer to a stage about to start: its row, its cache key, and, for a cache hit, the outputs of
 * the completed row it reuses (else {@code null}).
 */
public record StageStart(long stageRowId, String cacheKey, StageOutput reused, Long reusedFromRowId) {
}
