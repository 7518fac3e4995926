package dev.lmforge.activities.bench;

import java.util.Locale;

/**
 * The closing line of each comparison in a {@code --against} run, one form for every bench so that scripts can
 * read them: {@code peer <what>: lmforge <value> <unit>, <peer> <value> <unit>, ratio <lmforge/peer>}. For a time or
 * a memory size a ratio below 1 favours lmforge; for a rate, above 1. Where the peer's value is 0 the ratio is
 * {@code n/a}.
 */
final class PeerLine {

    private PeerLine() {
    }

    static String format(String what, double lmforge, String peer, double theirs, String unit) {
        String ratio = theirs == 0 ? "n/a" : String.format(Locale.ROOT, "%.3f", lmforge / theirs);
        return String.format(Locale.ROOT, "peer %s: lmforge %s %s, %s %s %s, ratio %s", what, figure(lmforge), unit,
            peer, figure(theirs), unit, ratio);
    }

    private static String figure(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value)
            : String.format(Locale.ROOT, Math.abs(value) >= 100 ? "%.1f" : "%.4g", value);
    }
}
