package dev.lmforge.workflows.stage;

/**
 * A reference to a content-addressed artifact: its SHA-256 digest (hex), what kind of thing it is
 * (e.g. {@code raw-dump}, {@code corpus}, {@code tokenizer}, {@code checkpoint}) and its size in bytes.
 */
public record ArtifactRef(String digest, String kind, long sizeBytes) {
}
