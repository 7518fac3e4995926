package dev.lmforge.web.runs;

import dev.lmforge.services.ledger.Records.AttemptRecord;
import dev.lmforge.services.ledger.Records.MetricSummary;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A run as the API shows it: the ledger's row, each planned stage's newest execution, and metric summaries. */
public record RunView(String id, String name, String team, String owner, String status, String error,
                      String resumedFrom, String workflowId, Instant createdAt, Instant startedAt, Instant endedAt,
                      @Schema(type = SchemaType.OBJECT, description = "The spec as validated, a JSON object with "
                              + "the lifecycle spec's fields") Object spec, List<StageView> stages, List<MetricSummary> metrics,
                      @Schema(description = "Digests among the stages' outputs whose bytes garbage collection removed "
                              + "(its team's retention dropped the run, and no kept run needs them): their downloads "
                              + "answer 410; their records and lineage remain") List<String> collectedOutputs) {

    /**
     * One planned stage; {@code PENDING} with no row until it starts. {@code waitingForSlot}: it runs but waits for
     * one of its team's slots on its queue (lmforge.limits.team-stages-per-queue).
     */
    public record StageView(String stage, String status, Long rowId, String cacheKey, Long reusedFrom, String error,
                            Instant startedAt, Instant endedAt, Map<String, String> inputs,
                            Map<String, String> outputs, Map<String, Double> summary, List<AttemptRecord> attempts,
                            boolean waitingForSlot) {
    }
}
