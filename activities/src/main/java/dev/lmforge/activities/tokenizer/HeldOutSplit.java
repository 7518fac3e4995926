package dev.lmforge.activities.tokenizer;

import dev.lmforge.activities.text.CorpusReader;


/**
 * Which documents of the corpus are held out of training, for measuring generalisation (bits per byte on
 * held-out data from the training distribution): a fixed fraction chosen by hashing each document's place (its
 * corpus part and ordinal), so the split is the same on every worker and every retry and needs no state.
 */
public record HeldOutSplit(double fraction) {

    public HeldOutSplit {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("held-out fraction must be in [0, 1), got " + fraction);
        }
    }

    /**
     * A sink for the texts of corpus part {@code part} that passes each document's texts to {@code training} or
     * to {@code heldOut}; use a new one per part, from its first text.
     */
    public CorpusReader.TextSink route(int part, CorpusReader.TextSink training,
                                           CorpusReader.TextSink heldOut) {
        long[] ordinal = {0};
        return (text, documentEnds) -> {
            (heldOut(part, ordinal[0]) ? heldOut : training).accept(text, documentEnds);
            if (documentEnds) {
                ordinal[0]++;
            }
        };
    }

    /** Whether document {@code ordinal} (0-based) of corpus part {@code part} is held out. */
    public boolean heldOut(int part, long ordinal) {
        long z = ((long) part << 40) ^ ordinal ^ 0x5DEECE66DL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 11) * 0x1.0p-53 < fraction;
    }
}
