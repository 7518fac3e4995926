package dev.lmforge.activities.data;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MinHashDeduplicatorTest {

    private static final DataConfig.Dedup CONFIG = DataConfig.defaults().dedup();   // 16 bands x 8 rows, 0.8
    private static final int PAIRS = 400;

    /** Two shingle sets with Jaccard similarity exactly {@code common / (common + 2 * unique)}. */
    private static long[][] pair(SplittableRandom random, int common, int unique) {
        long[] a = new long[common + unique];
        long[] b = new long[common + unique];
        for (int i = 0; i < common; i++) {
            a[i] = b[i] = random.nextLong();
        }
        for (int i = common; i < a.length; i++) {
            a[i] = random.nextLong();
            b[i] = random.nextLong();
        }
        return new long[][]{a, b};
    }

    private static boolean candidates(MinHashDeduplicator m, int[] x, int[] y) {
        long[] kx = m.bandKeys(x);
        long[] ky = m.bandKeys(y);
        for (int i = 0; i < kx.length; i++) {
            if (kx[i] == ky[i]) {
                return true;
            }
        }
        return false;
    }

    @Test
    void candidateRateFollowsTheLshSCurve() {
        MinHashDeduplicator m = new MinHashDeduplicator(CONFIG);
        SplittableRandom random = new SplittableRandom(1);
        for (int common : new int[]{100, 120, 140, 160, 170, 180}) {   // union 200: s = common / 200
            double s = common / 200.0;
            int hits = 0;
            for (int i = 0; i < PAIRS; i++) {
                long[][] p = pair(random, common, (200 - common) / 2);
                hits += candidates(m, m.signature(p[0]), m.signature(p[1])) ? 1 : 0;
            }
            double expected = MinHashDeduplicator.candidateProbability(s, CONFIG.bands(), CONFIG.rows());
            double sigma = Math.sqrt(expected * (1 - expected) / PAIRS);
            assertEquals(expected, (double) hits / PAIRS, 4 * sigma + 0.01, "candidate rate at s=" + s);
        }
    }

    /**
     * The chance that a pair of similarity s is called a duplicate: some band agrees in all its rows and the
     * signature agrees in at least threshold * permutations values, each value agreeing independently with
     * probability s. Computed exactly by running over the bands with the number of agreeing values so far.
     */
    private static double duplicateProbability(double s) {
        int rows = CONFIG.rows();
        int perms = CONFIG.permutations();
        double[][] state = new double[2][perms + 1];   // [some band full?][agreeing values]
        state[0][0] = 1;
        for (int band = 0; band < CONFIG.bands(); band++) {
            double[][] next = new double[2][perms + 1];
            for (int full = 0; full < 2; full++) {
                for (int sum = 0; sum <= band * rows; sum++) {
                    for (int k = 0; k <= rows; k++) {
                        double pk = binomial(rows, k) * Math.pow(s, k) * Math.pow(1 - s, rows - k);
                        next[full == 1 || k == rows ? 1 : 0][sum + k] += state[full][sum] * pk;
                    }
                }
            }
            state = next;
        }
        int needed = (int) Math.ceil(CONFIG.threshold() * perms);
        return Arrays.stream(state[1], needed, perms + 1).sum();
    }

    private static double binomial(int n, int k) {
        double c = 1;
        for (int i = 1; i <= k; i++) {
            c = c * (n - k + i) / i;
        }
        return c;
    }

    @Test
    void falsePositiveAndFalseNegativeRatesAtTheThresholdMatchTheory() {
        MinHashDeduplicator m = new MinHashDeduplicator(CONFIG);
        SplittableRandom random = new SplittableRandom(2);
        for (int common : new int[]{120, 140, 150, 170, 180, 190}) {
            double s = common / 200.0;
            int called = 0;
            for (int i = 0; i < PAIRS; i++) {
                long[][] p = pair(random, common, (200 - common) / 2);
                int[] x = m.signature(p[0]);
                int[] y = m.signature(p[1]);
                called += candidates(m, x, y) && m.isDuplicate(x, y) ? 1 : 0;
            }
            double expected = duplicateProbability(s);
            double sigma = Math.sqrt(expected * (1 - expected) / PAIRS);
            // Below the threshold a call is a false positive, above it a miss is a false negative.
            assertEquals(expected, (double) called / PAIRS, 4 * sigma + 0.01, "duplicate rate at s=" + s);
        }
        assertTrue(duplicateProbability(0.6) < 0.001 && duplicateProbability(0.95) > 0.99, "the theory itself is sharp");
    }

    @Test
    void signaturesAreSeededAndDeterministic() {
        long[] shingles = new SplittableRandom(3).longs(50).toArray();
        int[] first = new MinHashDeduplicator(CONFIG).signature(shingles);
        assertArrayEquals(first, new MinHashDeduplicator(CONFIG).signature(shingles));
        DataConfig.Dedup otherSeed = new DataConfig.Dedup(true, DataConfig.ShingleMode.WORD, 5, 128, 16, 8, 0.8, 99,
                DataConfig.KeepPolicy.EARLIEST_DUMP);
        assertTrue(MinHashDeduplicator.similarity(first, new MinHashDeduplicator(otherSeed).signature(shingles)) < 0.1);
        assertNull(new MinHashDeduplicator(CONFIG).signature(Shingler.normalize("!!! ??? ...")), "no token, no signature");
    }

    @Test
    void chineseIsShingledByCharactersAndEnglishByWords() {
        Shingler words = new Shingler(DataConfig.ShingleMode.WORD, 2);
        assertEquals(4, words.shingles(Shingler.normalize("软件包管理")).length, "5 characters, 4 bigrams");
        assertEquals(2, words.shingles(Shingler.normalize("The  Debian\tsystem")).length);
        assertArrayEquals(words.shingles(Shingler.normalize("THE Debian system")), words.shingles("the debian system"));
        Shingler chars = new Shingler(DataConfig.ShingleMode.CHARACTER, 3);
        assertEquals(3, chars.shingles("abcde").length);
    }
}
