package dev.lmforge.activities.alignment;

/** Told after every optimizer step of SFT or DPO, to heartbeat and log. */
@FunctionalInterface
public interface AlignmentProgress {

    /** Reports nothing. */
    AlignmentProgress NONE = (phase, step, totalSteps, loss) -> { };

    /**
     * @param phase      {@code sft}, {@code sft-conversational} or {@code dpo}
     * @param step       steps done in this phase
     * @param totalSteps the phase's steps
     * @param loss       the step's loss (before its update)
     */
    void stepped(String phase, long step, long totalSteps, double loss);
}
