package dev.lmforge.activities.planning;

import java.util.Locale;

/** Numbers for people: counts with the paper's K/M/B/T suffixes, byte sizes in binary units, durations. */
public final class Figures {

    private static final String[] COUNT_SUFFIXES = {"", "K", "M", "B", "T"};
    private static final String[] BYTE_SUFFIXES = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};

    private Figures() {
    }

    /** {@code 6.44e9} as "6.44B", three significant digits, as Table 3 prints them; beyond T in scientific. */
    public static String count(double value) {
        int tier = 0;
        double scaled = value;
        while (Math.abs(scaled) >= 999.5 && tier < COUNT_SUFFIXES.length - 1) {
            scaled /= 1000;
            tier++;
        }
        if (Math.abs(scaled) >= 999.5) {
            return String.format(Locale.ROOT, "%.3g", value);
        }
        return String.format(Locale.ROOT, "%.3g", scaled) + COUNT_SUFFIXES[tier];
    }

    /** A byte count in binary units, e.g. "1.50 GiB". */
    public static String bytes(double value) {
        int tier = 0;
        double scaled = value;
        while (scaled >= 1024 && tier < BYTE_SUFFIXES.length - 1) {
            scaled /= 1024;
            tier++;
        }
        return String.format(Locale.ROOT, "%.3g %s", scaled, BYTE_SUFFIXES[tier]);
    }

    /** Seconds as the largest sensible unit, e.g. "3.2 h" or "41 days". */
    public static String duration(double seconds) {
        if (seconds < 120) {
            return String.format(Locale.ROOT, "%.3g s", seconds);
        }
        if (seconds < 7200) {
            return String.format(Locale.ROOT, "%.3g min", seconds / 60);
        }
        if (seconds < 3 * 86400) {
            return String.format(Locale.ROOT, "%.3g h", seconds / 3600);
        }
        return String.format(Locale.ROOT, "%.3g days", seconds / 86400);
    }
}
