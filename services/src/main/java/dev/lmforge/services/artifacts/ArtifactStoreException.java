package dev.lmforge.services.artifacts;

/** The artifact store could not do what was asked; the message says what and why. */
public class ArtifactStoreException extends RuntimeException {

    public ArtifactStoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public ArtifactStoreException(String message) {
        super(message);
    }
}
