package dev.lmforge.workflows;

import java.util.List;

/** A lifecycle's progress as its query reports it: the run's state and each stage's. */
public record Progress(String status, List<StageProgress> stages) {

    /** One stage: {@code PENDING}, {@code RUNNING}, {@code SUCCEEDED}, {@code REUSED}, {@code FAILED}, ... */
    public record StageProgress(String stage, String status, Long stageRowId) {
    }
}
