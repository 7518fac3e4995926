package dev.lmforge.activities;

/**
 * Where the log lines of a stage attempt go: {@link StageContext} opens a capture when an attempt starts on the
 * calling thread and closes it when the attempt ends, however it ends. The compute worker keeps each attempt's
 * lines, bounded and redacted, in the ledger; {@link #NONE} keeps nothing (tests that run a stage directly).
 */
public interface AttemptLogs {

    /** Keeps no log. */
    AttemptLogs NONE = (stageRowId, attempt) -> () -> { };

    /**
     * Starts capturing the lines that the calling thread, and the threads it starts from now on, log, as the log
     * of attempt {@code attempt} of stage row {@code stageRowId}.
     */
    Capture capture(long stageRowId, int attempt);

    /** One attempt's capture; closing it ends the capture on the thread that opened it and marks the log complete. */
    interface Capture extends AutoCloseable {
        @Override
        void close();
    }
}
