package dev.lmforge.activities.evaluation;

/**
 * A row of token ids for the model to read, of which only {@code ids[from..]} are scored, each given everything
 * before it in the row.
 *
 * @param ids  2 or more ids, at most the model's context length plus one
 * @param from the first scored position, at least 1 (the first id is always context)
 */
public record ScoredRow(int[] ids, int from) {

    public ScoredRow {
        if (from < 1 || from >= ids.length) {
            throw new IllegalArgumentException("scored part must start inside the row after its first id: from "
                    + from + " in a row of " + ids.length);
        }
    }

    /** How many tokens of the row are scored. */
    public int scoredTokens() {
        return ids.length - from;
    }
}
