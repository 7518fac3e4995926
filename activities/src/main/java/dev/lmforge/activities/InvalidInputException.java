package dev.lmforge.activities;

/**
 * A stage's input or config is wrong in a way that retrying cannot mend; the message names the field, file or
 * line. {@link StageContext} turns it into a non-retryable failure.
 */
public class InvalidInputException extends RuntimeException {

    public InvalidInputException(String message) {
        super(message);
    }
}
