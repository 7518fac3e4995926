package dev.lmforge.activities.text;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * How much generations repeat themselves: of all token {@value #N}-grams in the generations, the share that
 * already occurred earlier in the same generation. "a b a b a b" in 2-grams has 5, of which 3 repeat: 0.6. The
 * paper monitors such a ratio during SFT (Section 4, Table 12); it rises when a model loops.
 *
 * @param ratio    {@code repeated / ngrams}, or 0 when there are no n-grams at all
 * @param repeated n-grams seen before in their generation
 * @param ngrams   all n-grams
 */
public record RepetitionRatio(double ratio, long repeated, long ngrams) {

    /** Token n-grams of this length are counted: long enough that ordinary text rarely repeats one by chance. */
    public static final int N = 4;

    /** The ratio over {@code generations}, each a sequence of token ids; those shorter than {@value #N} add nothing. */
    public static RepetitionRatio of(List<int[]> generations) {
        long repeated = 0;
        long ngrams = 0;
        for (int[] tokens : generations) {
            Set<List<Integer>> seen = new HashSet<>();
            for (int i = 0; i + N <= tokens.length; i++) {
                ngrams++;
                if (!seen.add(Arrays.stream(tokens, i, i + N).boxed().toList())) {
                    repeated++;
                }
            }
        }
        return new RepetitionRatio(ngrams == 0 ? 0 : (double) repeated / ngrams, repeated, ngrams);
    }
}
