package dev.lmforge.web.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lmforge.services.ledger.MetadataStore;
import dev.lmforge.services.ledger.Records.StageRecord;
import dev.lmforge.workflows.ledger.LedgerActivities;
import dev.lmforge.workflows.ledger.StageStart;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.CacheKey;
import dev.lmforge.workflows.stage.Stage;
import dev.lmforge.workflows.stage.StageOutput;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** The ledger activities on the control plane's queue; see {@link LedgerActivities}. */
public final class LedgerActivitiesImpl implements LedgerActivities {

    private final MetadataStore ledger;

    public LedgerActivitiesImpl(MetadataStore ledger) {
        this.ledger = ledger;
    }

    @Override
    public void runStatus(String runId, String status, String error) {
        ledger.setRunStatus(runId, status, error);
    }

    @Override
    public StageStart beginStage(String runId, String stageId, JsonNode config, Map<String, ArtifactRef> inputs) {
        Stage stage = Stage.byId(stageId).orElseThrow(() -> new IllegalArgumentException("unknown stage " + stageId));
        String key = CacheKey.of(stage, config, inputs);
        Map<String, String> inputDigests = new LinkedHashMap<>();
        inputs.forEach((name, ref) -> inputDigests.put(name, ref.digest()));
        Optional<StageRecord> hit = ledger.succeededStageWithKey(key);
        Long reusedFrom = hit.map(StageRecord::id).orElse(null);
        long row = ledger.beginStage(runId, stageId, stage.codeVersion(), key, MetadataStore.toJson(config),
                inputDigests, reusedFrom);
        StageOutput reused = hit.map(h -> new StageOutput(outputsOf(h), MetadataStore.summaryOf(h.summary()))).orElse(null);
        return new StageStart(row, key, reused, reusedFrom);
    }

    private Map<String, ArtifactRef> outputsOf(StageRecord stage) {
        Map<String, ArtifactRef> outputs = new LinkedHashMap<>();
        stage.outputs().forEach((name, digest) -> {
            var artifact = ledger.artifact(digest).orElseThrow(() ->
                    new IllegalStateException("stage row " + stage.id() + " names artifact " + digest + ", which the ledger lacks"));
            outputs.put(name, new ArtifactRef(digest, artifact.kind(), artifact.sizeBytes()));
        });
        return outputs;
    }

    @Override
    public void stageSucceeded(long stageRowId, StageOutput output) {
        Map<String, String> digests = new LinkedHashMap<>();
        output.outputs().forEach((name, ref) -> digests.put(name, ref.digest()));
        ledger.stageSucceeded(stageRowId, digests, MetadataStore.toJson(output.summary()));
    }

    @Override
    public void stageEnded(long stageRowId, String status, String error) {
        ledger.stageEnded(stageRowId, status, error);
    }
}
