package dev.lmforge.web.bench;

import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.ledger.MetadataStore;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.CorpusSource;
import dev.lmforge.workflows.stage.DataStage;
import dev.lmforge.workflows.stage.PlanStage;
import dev.lmforge.workflows.stage.RawDump;
import dev.lmforge.workflows.stage.StageInput;
import dev.lmforge.workflows.stage.StageOutput;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Stages that do nothing but hand one tiny artifact along, so that the orchestration benchmark measures the
 * platform (Temporal round trips, ledger writes, cache keys), not the stages. Each source path becomes a
 * distinct artifact, so runs with distinct paths miss the cache and runs with the same path hit it.
 */
final class NoOpStages implements DataStage, PlanStage {

    private final ArtifactStore artifacts;
    private final MetadataStore ledger;

    NoOpStages(ArtifactStore artifacts, MetadataStore ledger) {
        this.artifacts = artifacts;
        this.ledger = ledger;
    }

    @Override
    public List<RawDump> snapshotSources(String runId, List<CorpusSource> sources) {
        byte[] bytes = sources.get(0).path().getBytes(StandardCharsets.UTF_8);
        ArtifactStore.StoredObject stored = artifacts.put(bytes);
        ledger.recordArtifact(stored.digest(), "raw-dump", stored.sizeBytes(), "{}");
        return List.of(new RawDump(new ArtifactRef(stored.digest(), "raw-dump", stored.sizeBytes()),
                sources.get(0).path(), "bench", null, null));
    }

    @Override
    public StageOutput data(StageInput input) {
        return new StageOutput(Map.of("corpus", input.inputs().get("raw-0000")), Map.of());
    }

    @Override
    public StageOutput plan(StageInput input) {
        return new StageOutput(Map.of("plan", input.inputs().get("corpus")), Map.of());
    }
}
