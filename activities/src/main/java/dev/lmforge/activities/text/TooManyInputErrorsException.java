package dev.lmforge.activities.text;

import java.util.List;

/** Thrown when the share of unreadable records passes {@link ReadingLimits#maxErrorRatio()}. */
public final class TooManyInputErrorsException extends RuntimeException {

    private final List<ReadError> errors;

    public TooManyInputErrorsException(long errorCount, long attempted, double maxRatio, List<ReadError> errors) {
        super(String.format("%d of %d input records (%.1f %%) could not be read, above the limit of %.1f %%%s",
                errorCount, attempted, 100.0 * errorCount / Math.max(1, attempted), 100 * maxRatio,
                errors.isEmpty() ? "" : "; first: " + errors.get(0)));
        this.errors = List.copyOf(errors);
    }

    /** The first errors, with file and line. */
    public List<ReadError> errors() {
        return errors;
    }
}
