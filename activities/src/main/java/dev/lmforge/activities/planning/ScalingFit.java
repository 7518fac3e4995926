package dev.lmforge.activities.planning;

import dev.lmforge.activities.model.LossCurveFit;
import dev.lmforge.activities.model.PowerLawFit;
import dev.lmforge.activities.model.Require;
import dev.lmforge.activities.model.ScalingLaws;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lmforge.workflows.sweep.ProbeResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A scaling sweep's fit, the {@code scaling-fit} artifact (JSON): what ran, every probe, each fit's points,
 * constants with standard errors and residuals, and the laws a plan draws from.
 *
 * @param format          always {@value #FORMAT}
 * @param tokens          the digest of the token shards the probes trained on
 * @param settings        the sweep's options with defaults filled in
 * @param probes          every probe's result, diverged ones included
 * @param hyperparameters the hyperparameter fit, or null when the sweep ran no grid
 * @param isoFlop         the IsoFLOP fit with the loss-versus-compute curve, or null when it ran no splits
 * @param laws            the paper's laws with the fitted ones in their place
 * @param prediction      the curve's loss at the target budget, or null without a target or an IsoFLOP fit
 * @param notes           probes the fits left out, and why
 */
public record ScalingFit(String format, String tokens, SweepSettings settings, List<ProbeResult> probes,
                         HyperparameterFit hyperparameters, IsoFlopFit isoFlop, ScalingLaws laws,
                         LossCurveFit.LossPrediction prediction, List<String> notes) {

    /** The artifact format; pretraining reads the loss curve back through {@link LossCurveFit#ofScalingFit}. */
    public static final String FORMAT = LossCurveFit.SCALING_FIT_FORMAT;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public ScalingFit {
        probes = List.copyOf(probes);
        notes = List.copyOf(notes);
    }

    /** The artifact's bytes. */
    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads an artifact; fails naming what is wrong when the bytes are not a scaling fit. */
    public static ScalingFit read(byte[] json) {
        ScalingFit fit;
        try {
            fit = JSON.readValue(json, ScalingFit.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a scaling fit: " + e.getMessage(), e);
        }
        if (!FORMAT.equals(fit.format())) {
            throw new IllegalArgumentException("not a scaling fit: format is '" + fit.format() + "', not " + FORMAT);
        }
        return fit;
    }

    /** The curve's prediction at {@code compute}, with its ±1 standard-error band. */
    public LossCurveFit.LossPrediction predict(double compute) {
        if (isoFlop == null) {
            throw LossCurveFit.missingFrom(String.valueOf(settings.kind()));
        }
        return isoFlop.lossCurve().predict(Require.positiveFinite("compute", compute));
    }

    /** The fitted constants and their standard errors by name, for the ledger's stage summary. */
    public Map<String, Double> summary() {
        Map<String, Double> summary = new LinkedHashMap<>();
        summary.put("sweep.probes", (double) probes.size());
        summary.put("sweep.probesDiverged", (double) probes.stream().filter(ProbeResult::diverged).count());
        if (hyperparameters != null) {
            put(summary, "sweep.learningRate", "a", "alpha", hyperparameters.learningRateLaw());
            put(summary, "sweep.batchTokens", "b", "beta", hyperparameters.batchTokensLaw());
        }
        if (isoFlop != null) {
            put(summary, "sweep.modelScale", "kM", "a", isoFlop.modelScaleLaw());
            put(summary, "sweep.dataTokens", "kD", "b", isoFlop.dataTokensLaw());
            put(summary, "sweep.loss", "k", "exponent", isoFlop.lossCurve().law());
        }
        if (prediction != null) {
            summary.put("sweep.predictedLoss", prediction.loss());
        }
        return summary;
    }

    private static void put(Map<String, Double> summary, String law, String coefficient, String exponent,
                            PowerLawFit fit) {
        summary.put(law + "." + coefficient, fit.coefficient());
        summary.put(law + "." + exponent, fit.exponent());
        if (fit.exponentStdErr() != null) {
            summary.put(law + "." + coefficient + "StdErr", fit.coefficientStdErr());
            summary.put(law + "." + exponent + "StdErr", fit.exponentStdErr());
        }
    }
}
