package dev.lmforge.workflows.stage;

/**
 * One corpus source of a spec: a local file or directory, or an {@code s3://bucket/prefix}; the dump it
 * belongs to (e.g. a crawl's date) and an optional default domain and language for its documents.
 */
public record CorpusSource(String path, String dump, String domain, String lang) {
}
