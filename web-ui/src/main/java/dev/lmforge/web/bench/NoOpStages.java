package dev.lmforge.web.bench;

import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.ledger.ArtifactLedger;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.Outputs;
import dev.lmforge.workflows.stage.PlanStage;
import dev.lmforge.workflows.stage.StageInput;
import dev.lmforge.workflows.stage.StageOutput;
import dev.lmforge.workflows.stage.TokenizerStage;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Stages that do nothing but hand one tiny artifact along, so that the orchestration benchmark measures the
 * platform (Temporal round trips, ledger writes, cache keys), not the stages. The artifact is the stage's config,
 * so runs with distinct configs miss the cache and runs with the same config hit it.
 */
final class NoOpStages implements TokenizerStage, PlanStage {

    private final ArtifactStore artifacts;
    private final ArtifactLedger artifactLedger;

    NoOpStages(ArtifactStore artifacts, ArtifactLedger artifactLedger) {
        this.artifacts = artifacts;
        this.artifactLedger = artifactLedger;
    }

    @Override
    public StageOutput tokenize(StageInput input) {
        return configAs(Outputs.TOKENS, input);
    }

    /** The plan reads no input (only a sweep reads the tokens), so it hands along its own config too. */
    @Override
    public StageOutput plan(StageInput input) {
        return configAs(Outputs.PLAN, input);
    }

    private StageOutput configAs(String output, StageInput input) {
        ArtifactStore.StoredObject stored = artifacts.put(input.config().toString().getBytes(StandardCharsets.UTF_8));
        artifactLedger.recordArtifact(stored.digest(), "bench", stored.sizeBytes(), "{}");
        return new StageOutput(Map.of(output, new ArtifactRef(stored.digest(), "bench", stored.sizeBytes())), Map.of());
    }
}
