package dev.lmforge.activities;

import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.ledger.MetadataStore;

/** What every stage activity on a compute worker shares: the ledger, the artifact store, the worker's name. */
public record StageRuntime(MetadataStore ledger, ArtifactStore artifacts, String workerIdentity) {
}
