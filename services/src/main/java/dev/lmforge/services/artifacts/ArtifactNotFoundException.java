package dev.lmforge.services.artifacts;

/** The store has no artifact with this digest. */
public class ArtifactNotFoundException extends ArtifactStoreException {

    public ArtifactNotFoundException(String digest) {
        super("artifact sha256:" + digest + " is not in the store");
    }
}
