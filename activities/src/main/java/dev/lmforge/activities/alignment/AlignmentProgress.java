package dev.lmforge.activities.alignment;

/** Told after every optimizer step of SFT or DPO, to heartbeat, log and checkpoint. */
@FunctionalInterface
public interface AlignmentProgress {

    /** Reports nothing. */
    AlignmentProgress NONE = (position, totalSteps, loss) -> { };

    /**
     * @param position   where the phase stands after the step: a checkpoint taken now continues from it
     * @param totalSteps the phase's steps
     * @param loss       the step's loss (before its update)
     */
    void stepped(PhasePosition position, long totalSteps, double loss);
}
