package dev.lmforge.activities.planning;

/**
 * A power law {@code y = coefficient · x^exponent}, the form of every scaling law in the paper (Eq. 1, Eq. 4).
 */
public record PowerLaw(double coefficient, double exponent) {

    public PowerLaw {
        if (!(coefficient > 0) || !Double.isFinite(coefficient)) {
            throw new IllegalArgumentException("power-law coefficient must be positive and finite, got " + coefficient);
        }
        if (!Double.isFinite(exponent)) {
            throw new IllegalArgumentException("power-law exponent must be finite, got " + exponent);
        }
    }

    /** The law's value at {@code x}, which must be positive and finite. */
    public double at(double x) {
        if (!(x > 0) || !Double.isFinite(x)) {
            throw new IllegalArgumentException("a power law is evaluated at positive finite x, got " + x);
        }
        return coefficient * Math.pow(x, exponent);
    }
}
