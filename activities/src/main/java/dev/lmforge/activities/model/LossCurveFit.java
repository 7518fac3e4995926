package dev.lmforge.activities.model;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/**
 * The loss-versus-compute curve (the paper's Figure 5) through the minimum losses of an IsoFLOP sweep, used to
 * predict the loss of a run with far more compute.
 *
 * <p>The form is a straight line in log-log space, {@code L(C) = k·C^e} with {@code e < 0}, which is how Figure 5
 * plots it. The alternative {@code L = E + A·C^-α} has a third, irreducible-loss parameter that a sweep of a
 * handful of budgets pins down poorly; over the thousandfold extrapolation the paper makes, the pure power law
 * is the steadier of the two.
 *
 * @param law the fitted power law: {@code x} is compute, {@code y} the minimum loss
 */
public record LossCurveFit(PowerLawFit law) {

    /** The format of the planning stage's scaling-fit artifact, whose {@code isoFlop.lossCurve} this reads. */
    public static final String SCALING_FIT_FORMAT = "lmforge-scaling-fit-v1";

    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * A predicted loss, with a ±1 standard-error band from the fit's own uncertainty (null when the fit has
     * none).
     */
    public record LossPrediction(double compute, double loss, Double lower, Double upper) {

        /** {@code (measured − predicted) / predicted}: what to record once the big run has finished. */
        public double relativeError(double measuredLoss) {
            return (measuredLoss - loss) / loss;
        }
    }

    /**
     * The curve of a scaling-fit artifact, read without the rest of the fit, so that pretraining can check its
     * loss against the prediction without depending on the planning stage; fails naming what is missing.
     */
    public static LossCurveFit ofScalingFit(byte[] scalingFitJson) {
        JsonNode fit;
        try {
            fit = JSON.readTree(scalingFitJson);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a scaling fit: " + e.getMessage(), e);
        }
        String format = fit.path("format").asText(null);
        if (!SCALING_FIT_FORMAT.equals(format)) {
            throw new IllegalArgumentException("not a scaling fit: format is '" + format + "', not "
                    + SCALING_FIT_FORMAT);
        }
        JsonNode curve = fit.path("isoFlop").path("lossCurve");
        if (curve.isMissingNode() || curve.isNull()) {
            throw missingFrom(fit.path("settings").path("kind").asText());
        }
        try {
            return JSON.treeToValue(curve, LossCurveFit.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a scaling fit: isoFlop.lossCurve: " + e.getMessage(), e);
        }
    }

    /** The error of a scaling fit whose sweep, of {@code kind}, ran no IsoFLOP probes and so fitted no curve. */
    public static IllegalArgumentException missingFrom(String kind) {
        return new IllegalArgumentException("this scaling fit has no loss-versus-compute curve: its sweep ran no "
                + "IsoFLOP probes (kind " + kind + ")");
    }

    /** The predicted loss at {@code compute}. */
    public LossPrediction predict(double compute) {
        double loss = law.predict(compute);
        Double stdErr = law.logStdErrAt(compute);
        if (stdErr == null) {
            return new LossPrediction(compute, loss, null, null);
        }
        return new LossPrediction(compute, loss, loss * Math.exp(-stdErr), loss * Math.exp(stdErr));
    }
}
