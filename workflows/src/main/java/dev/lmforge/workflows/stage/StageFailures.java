package dev.lmforge.workflows.stage;

/** Failure types that stage activities raise and that retrying cannot mend. */
public final class StageFailures {

    /** The stage's input or config is wrong; the message names the field, file or line. */
    public static final String INVALID_INPUT = "InvalidInput";

    private StageFailures() {
    }
}
