package dev.lmforge.workflows.stage;

/**
 * One source file of the corpus, snapshotted into the artifact store: the artifact, where it came from, and
 * the dump, domain and language its documents default to.
 */
public record RawDump(ArtifactRef artifact, String path, String dump, String domain, String lang) {
}
