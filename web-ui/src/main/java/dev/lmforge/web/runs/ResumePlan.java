package dev.lmforge.web.runs;

import java.util.List;

/**
 * What a resume does or would do: the run that goes on (a paused run itself, or a new run linked to the old
 * one), and for each stage whether it is reused, run again, or continued, and why.
 */
public record ResumePlan(String runId, String resumedFrom, boolean dryRun, List<StagePlan> stages) {

    /** {@code action} is {@code reuse}, {@code run} or {@code continue}. */
    public record StagePlan(String stage, String action, String reason) {
    }
}
