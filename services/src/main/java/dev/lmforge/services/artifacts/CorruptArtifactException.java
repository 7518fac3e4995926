package dev.lmforge.services.artifacts;

/** The bytes stored for an artifact no longer hash to its id. */
public class CorruptArtifactException extends ArtifactStoreException {

    private final String digest;

    public CorruptArtifactException(String digest, String actual) {
        super("artifact sha256:" + digest + " is corrupt: its stored bytes hash to sha256:" + actual);
        this.digest = digest;
    }

    public String digest() {
        return digest;
    }
}
