package dev.lmforge.activities;

import dev.lmforge.services.artifacts.ObjectDescription;

/**
 * Who writes an object to the artifact store: the run, the stage and its row in the ledger. A snapshot of a stage's
 * inputs is taken before its row exists ({@code stageRowId} null); a step that cannot find its run knows neither.
 *
 * @param runId      the run, or null
 * @param stage      the stage's id ({@code data}, {@code pretrain}, ...), or null
 * @param stageRowId the stage execution's row, or null
 */
public record Producer(String runId, String stage, Long stageRowId) {

    /** How an object of {@code kind} that this producer writes describes itself to S3 tools. */
    public ObjectDescription describe(String kind) {
        return ObjectDescription.of(kind, runId, stage);
    }

    /** {@link #describe}, typed by the name of the file it comes from where that says more than the kind. */
    public ObjectDescription describe(String kind, String fileName) {
        return ObjectDescription.ofFile(kind, runId, stage, fileName);
    }
}
