package dev.lmforge.activities.planning;

/**
 * {@code y = c0 + c1·(u − center) + c2·(u − center)²}: an IsoFLOP curve with {@code u = ln M} (centring keeps the
 * fit well conditioned).
 */
public record Parabola(double center, double c0, double c1, double c2) {

    /** The value at {@code u}. */
    public double at(double u) {
        double t = u - center;
        return c0 + c1 * t + c2 * t * t;
    }

    /** Where the parabola is lowest; it must open upward. */
    public double vertex() {
        return center - c1 / (2 * c2);
    }
}
