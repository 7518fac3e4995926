package dev.lmforge.activities.model;

/**
 * A power law {@code y = coefficient · x^exponent}, the form of every scaling law in the paper (Eq. 1, Eq. 4).
 */
public record PowerLaw(double coefficient, double exponent) {

    public PowerLaw {
        Require.positiveFinite("power-law coefficient", coefficient);
        if (!Double.isFinite(exponent)) {
            throw new IllegalArgumentException("power-law exponent must be finite, got " + exponent);
        }
    }

    /** The law's value at {@code x}, which must be positive and finite. */
    public double at(double x) {
        return coefficient * Math.pow(Require.positiveFinite("x", x), exponent);
    }
}
