package dev.lmforge.activities.planning;

/**
 * A known loss law for testing the fitters, {@code L(M, D) = A·M^-α + B·D^-β}. On the IsoFLOP curve
 * {@code D = C/M} its minimum is at {@code M_opt = k·C^a} with {@code a = β/(α+β)} and
 * {@code k = (αA/(βB))^(1/(α+β))}, and the minimum loss falls as {@code C^-(αβ/(α+β))}.
 */
record KnownLossLaw(double a, double alpha, double b, double beta) {

    double loss(double modelScale, double tokens) {
        return a * Math.pow(modelScale, -alpha) + b * Math.pow(tokens, -beta);
    }

    double modelScaleExponent() {
        return beta / (alpha + beta);
    }

    double modelScaleCoefficient() {
        return Math.pow(alpha * a / (beta * b), 1 / (alpha + beta));
    }

    double optimalModelScale(double compute) {
        return modelScaleCoefficient() * Math.pow(compute, modelScaleExponent());
    }

    double minimumLossExponent() {
        return -alpha * beta / (alpha + beta);
    }
}
