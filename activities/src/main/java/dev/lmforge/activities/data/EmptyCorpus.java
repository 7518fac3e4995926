package dev.lmforge.activities.data;

import dev.lmforge.activities.InvalidInputException;
import java.util.stream.Collectors;

/**
 * The data stage's refusal to hand on a corpus of no documents: later stages cannot train on it, and a run that
 * went on would fail far from the cause. Each check names why nothing is left; the failure is not retried.
 */
final class EmptyCorpus {

    private EmptyCorpus() {
    }

    /** Fails when the sources held no documents at all: {@code files} files read, {@code unreadable} bad records. */
    static void requireRead(long documents, int files, long unreadable) {
        if (documents == 0) {
            throw new InvalidInputException("corpus.sources: the " + files + " source file(s) hold no documents"
                    + (unreadable > 0 ? " (" + unreadable + " record(s) could not be read)" : ""));
        }
    }

    /** Fails when the quality filters rejected every document that deduplication left. */
    static void requireFiltered(QualityFilter.Stats quality) {
        if (quality.input() > 0 && quality.kept() == 0) {
            String rules = quality.rejected().entrySet().stream().filter(e -> e.getValue() > 0)
                    .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
            throw new InvalidInputException("data.quality: the quality filters rejected all " + quality.input()
                    + " document(s) (" + rules + "); relax the rules or add other sources");
        }
    }

    /** Fails when the remix kept none of the {@code kept} documents that passed the filters. */
    static void requireRemixed(long kept, long remixed) {
        if (kept > 0 && remixed == 0) {
            throw new InvalidInputException("data.remix: the remix kept none of the " + kept
                    + " document(s) that passed the filters; check its weights and documents");
        }
    }
}
