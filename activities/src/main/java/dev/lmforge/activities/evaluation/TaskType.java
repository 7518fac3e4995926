package dev.lmforge.activities.evaluation;

/** How a task is scored: by the likelihood of given continuations, or by what the model generates. */
public enum TaskType {
    /** Each item offers choices; the model's pick is the continuation it finds most likely. */
    MULTIPLE_CHOICE("multiple_choice"),
    /** The model writes an answer by greedy decoding; a parser compares it with the target. */
    GENERATE("generate");

    private final String key;

    TaskType(String key) {
        this.key = key;
    }

    /** The name used in task files. */
    public String key() {
        return key;
    }
}
