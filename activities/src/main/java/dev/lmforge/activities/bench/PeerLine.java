package dev.lmforge.activities.bench;

import java.util.Locale;

/**
 * The closing line of each comparison in a {@code --against} run, one form for every bench so that scripts can
 * read them: {@code peer <what>: lmforge <value> <unit>, <peer> <value> <unit>, ratio <lmforge/peer>}. For a time or
 * a memory size a ratio below 1 favours lmforge; for a rate, above 1.
 */
final class PeerLine {

    private PeerLine() {
    }

    static String format(String what, double lmforge, String peer, double theirs, String unit) {
        return String.format(Locale.ROOT, "peer %s: lmforge %s %s, %s %s %s, ratio %.3f", what, figure(lmforge), unit,
            peer, figure(theirs), unit, lmforge / theirs);
    }

    private static String figure(double value) {
        return String.format(Locale.ROOT, Math.abs(value) >= 100 ? "%.1f" : "%.4g", value);
    }
}
