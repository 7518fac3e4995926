package dev.lmforge.activities.evaluation;

import dev.lmforge.activities.text.RepetitionRatio;
import java.util.Arrays;
import java.util.Optional;

/** A metric a task file may ask for, each belonging to one {@link TaskType}. */
public enum Metric {
    /** Share of items whose most likely choice (total log-likelihood) is the answer. */
    ACC("acc", TaskType.MULTIPLE_CHOICE),
    /** As {@link #ACC} with each choice's log-likelihood divided by its UTF-8 bytes. */
    ACC_NORM("acc_norm", TaskType.MULTIPLE_CHOICE),
    /**
     * As {@link #ACC} with {@code log p(choice | context) - log p(choice | unconditional prompt)}: the paper's
     * unconditional normalisation for ARC and OpenBookQA (Section 5, Appendix A.6).
     */
    ACC_UNCOND("acc_uncond", TaskType.MULTIPLE_CHOICE),
    /** Share of generations the task's answer parser finds equal to the target. */
    EXACT_MATCH("exact_match", TaskType.GENERATE),
    /** Share of repeated token n-grams over all generations (see {@link RepetitionRatio}). */
    REPETITION_RATIO("repetition_ratio", TaskType.GENERATE);

    private final String key;
    private final TaskType type;

    Metric(String key, TaskType type) {
        this.key = key;
        this.type = type;
    }

    /** The name used in task files and results. */
    public String key() {
        return key;
    }

    /** The kind of task it applies to. */
    public TaskType type() {
        return type;
    }

    /** The metric named {@code key}, if any. */
    public static Optional<Metric> byKey(String key) {
        return Arrays.stream(values()).filter(m -> m.key.equals(key)).findFirst();
    }
}
