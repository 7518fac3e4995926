package dev.lmforge.activities;

import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.ledger.MetadataStore;
import dev.lmforge.services.sources.SourceRefusedException;
import dev.lmforge.services.sources.SourceRoots;
import java.nio.file.Path;

/**
 * What every stage activity on a compute worker shares: the ledger, the artifact store, the worker's name, the
 * source roots it checks every spec path against before reading it, and the caps on what one attempt may read.
 */
public record StageRuntime(MetadataStore ledger, ArtifactStore artifacts, String workerIdentity, SourceRoots sources,
                           ReadCaps readCaps) {

    /**
     * The real path of a file or folder that spec field {@code field} names, if the source roots allow it;
     * otherwise bad input naming the field and the rule. Call it on every file right before opening it.
     */
    public Path readable(String field, Path path) {
        try {
            return sources.local(field, path);
        } catch (SourceRefusedException e) {
            throw new InvalidInputException(e.getMessage());
        }
    }

    /** Checks an {@code s3://bucket/prefix} source that spec field {@code field} names, as {@link #readable} does. */
    public void readableS3(String field, String spelled) {
        try {
            sources.s3(field, spelled);
        } catch (SourceRefusedException e) {
            throw new InvalidInputException(e.getMessage());
        }
    }
}
