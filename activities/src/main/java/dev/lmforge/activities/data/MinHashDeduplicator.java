package dev.lmforge.activities.data;

import java.util.SplittableRandom;

/**
 * MinHash signatures and LSH band keys. Each of the {@code permutations} hash functions is
 * {@code h_i(x) = (a_i x + b_i) >>> 32} over 64-bit shingle hashes, with odd {@code a_i} and {@code b_i} drawn
 * from the configured seed, so signatures are the same on every machine. Two documents become a candidate pair
 * when all {@code rows} values of some band agree, which for Jaccard similarity {@code s} happens with probability
 * {@link #candidateProbability}; the pair is a duplicate when the share of agreeing values over the whole
 * signature reaches the threshold.
 */
public final class MinHashDeduplicator {

    private final DataConfig.Dedup config;
    private final Shingler shingler;
    private final long[] a;
    private final long[] b;

    public MinHashDeduplicator(DataConfig.Dedup config) {
        this.config = config;
        this.shingler = new Shingler(config.shingles(), config.shingleSize());
        SplittableRandom random = new SplittableRandom(config.seed());
        a = new long[config.permutations()];
        b = new long[config.permutations()];
        for (int i = 0; i < a.length; i++) {
            a[i] = random.nextLong() | 1;
            b[i] = random.nextLong();
        }
    }

    /** The signature of already normalised text, or {@code null} when it has no shingle. */
    public int[] signature(String normalized) {
        return signature(shingler.shingles(normalized));
    }

    /** The signature of a set of shingle hashes, or {@code null} when it is empty. */
    public int[] signature(long[] shingles) {
        if (shingles.length == 0) {
            return null;
        }
        int[] sig = new int[a.length];
        for (int i = 0; i < sig.length; i += 4) {   // four permutations per pass (twice as fast as one)
            long m0 = Long.MAX_VALUE;
            long m1 = Long.MAX_VALUE;
            long m2 = Long.MAX_VALUE;
            long m3 = Long.MAX_VALUE;
            for (long x : shingles) {
                m0 = Math.min(m0, (a[i] * x + b[i]) >>> 32);
                m1 = Math.min(m1, (a[i + 1] * x + b[i + 1]) >>> 32);
                m2 = Math.min(m2, (a[i + 2] * x + b[i + 2]) >>> 32);
                m3 = Math.min(m3, (a[i + 3] * x + b[i + 3]) >>> 32);
            }
            sig[i] = (int) m0;
            sig[i + 1] = (int) m1;
            sig[i + 2] = (int) m2;
            sig[i + 3] = (int) m3;
        }
        return sig;
    }

    /** One key per band: a hash of the band's index and its {@code rows} values. */
    public long[] bandKeys(int[] signature) {
        long[] keys = new long[config.bands()];
        for (int band = 0; band < keys.length; band++) {
            long h = Shingler.mix(band + 1L);
            for (int r = 0; r < config.rows(); r++) {
                h = Shingler.mix(h * 31 + (signature[band * config.rows() + r] & 0xffffffffL));
            }
            keys[band] = h;
        }
        return keys;
    }

    /** The estimated Jaccard similarity: the share of signature values that agree. */
    public static double similarity(int[] x, int[] y) {
        int same = 0;
        for (int i = 0; i < x.length; i++) {
            if (x[i] == y[i]) {
                same++;
            }
        }
        return (double) same / x.length;
    }

    /** Whether two signatures are near duplicates at the configured threshold. */
    public boolean isDuplicate(int[] x, int[] y) {
        return similarity(x, y) >= config.threshold();
    }

    /** LSH theory: the chance that two documents of Jaccard similarity {@code s} share a band, 1-(1-s^r)^b. */
    public static double candidateProbability(double s, int bands, int rows) {
        return 1 - Math.pow(1 - Math.pow(s, rows), bands);
    }
}
