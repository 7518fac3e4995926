package dev.lmforge.activities.model;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Draws the next token from the model's distribution sharpened by a temperature and cut to its top-p nucleus
 * (the smallest set of most likely tokens whose probabilities reach {@code topP}), from a seeded generator, so
 * the same seed gives the same text.
 */
public final class TokenSampler {

    private final double temperature;
    private final double topP;
    private final SplittableRandom random;

    /**
     * @param temperature above 0 and finite: the log-probabilities are divided by it
     * @param topP        in (0, 1]
     * @param seed        seeds the draws
     */
    public TokenSampler(double temperature, double topP, long seed) {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be finite and above 0, not " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p must lie in (0, 1], not " + topP);
        }
        this.temperature = temperature;
        this.topP = topP;
        this.random = new SplittableRandom(seed);
    }

    /** A token drawn from {@code logProbabilities} (natural log, one per token). */
    public int choose(float[] logProbabilities) {
        int n = logProbabilities.length;
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logProbabilities) {
            max = Math.max(max, v);
        }
        double[] weights = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) {
            weights[i] = Math.exp((logProbabilities[i] - max) / temperature);
            total += weights[i];
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(weights[b], weights[a]));
        double kept = 0;
        int nucleus = 0;
        while (nucleus < n && (nucleus == 0 || kept < topP * total)) {
            kept += weights[order[nucleus++]];
        }
        double draw = random.nextDouble() * kept;
        for (int i = 0; i < nucleus; i++) {
            draw -= weights[order[i]];
            if (draw < 0) {
                return order[i];
            }
        }
        return order[nucleus - 1];
    }
}
