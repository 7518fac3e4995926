package dev.lmforge.activities.model;

/** Argument checks whose errors name the value, shared by the planning records. */
public final class Require {

    private Require() {
    }

    /** Returns {@code value}, or fails with "{@code name} must be positive and finite, got {@code value}". */
    public static double positiveFinite(String name, double value) {
        if (!(value > 0) || !Double.isFinite(value)) {
            throw new IllegalArgumentException(name + " must be positive and finite, got " + value);
        }
        return value;
    }

    /** Returns {@code value}, or fails with "{@code name} must be positive, got {@code value}". */
    public static long positive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
        return value;
    }
}
