package dev.lmforge.activities.planning;

import dev.lmforge.activities.model.LossCurveFit;
import dev.lmforge.activities.model.BudgetPlan;
import dev.lmforge.activities.model.PaperLaws;
import dev.lmforge.activities.model.ScalingLaws;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lmforge.workflows.sweep.ProbeResult;
import dev.lmforge.workflows.sweep.SweepOptions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The sweep's fit from probe results, without training: IsoFLOP probes of the real design whose losses come from a
 * known loss law; the fitted allocation, the loss curve's prediction read back from the artifact's JSON, and the
 * probes left out (diverged) with a note.
 */
class SweepFitterTest {

    private static final KnownLossLaw LAW = new KnownLossLaw(144, 0.30, 400, 0.33);
    private static final List<Double> BUDGETS = List.of(1e17, 3e17, 1e18, 3e18, 1e19);
    private static final SweepSettings SETTINGS = SweepSettings.resolve(new SweepOptions(SweepOptions.ISOFLOP,
            BUDGETS, 9, null, null, null, null, null, null, null, null, null), 1e21);

    private static List<ProbeResult> isoFlopResults() {
        List<ProbeResult> results = new ArrayList<>();
        for (double c : BUDGETS) {
            for (BudgetPlan p : SweepDesign.isoFlop(BudgetRequest.of(c), SETTINGS.splits(), SETTINGS.span())) {
                double m = p.model().modelScale();
                double loss = LAW.loss(m, p.tokens());
                results.add(new ProbeResult(SweepOptions.ISOFLOP, results.size(), c, m, p.tokens(), p.batchTokens(),
                        p.learningRate(), p.steps(), loss, loss, 0.5, false, 1));
            }
        }
        return results;
    }

    @Test
    void anIsoFlopSweepRecoversTheLawsExponentAndPredictsTheLossFromItsJson() {
        List<ProbeResult> results = isoFlopResults();
        ScalingFit fit = SweepFitter.fit(SETTINGS, "tokens-digest", 1e21, results);
        assertNull(fit.hyperparameters());
        assertEquals(LAW.modelScaleExponent(), fit.isoFlop().modelScaleLaw().exponent(), 0.005);
        assertNotNull(fit.isoFlop().modelScaleLaw().exponentStdErr());
        assertEquals(fit.isoFlop().modelScaleLaw().law(), fit.laws().modelScale());
        assertEquals(PaperLaws.LEARNING_RATE, fit.laws().learningRate(), "no grid: Eq. 1 stays");
        assertTrue(fit.laws().allocationSource().startsWith("fitted"));
        assertEquals(List.of(), fit.notes());

        byte[] json = fit.toJson();
        assertEquals(fit.prediction().loss(), LossCurveFit.ofScalingFit(json).predict(1e21).loss(), 1e-12);
        assertEquals(fit.isoFlop().lossCurve().predict(3e21).loss(), LossCurveFit.ofScalingFit(json).predict(3e21).loss(), 1e-12);
        ScalingFit read = ScalingFit.read(json);
        assertEquals(fit.laws(), read.laws());
        assertEquals(results, read.probes());
        assertEquals(fit.summary(), read.summary());
        assertEquals(fit.isoFlop().dataTokensLaw().exponent(), read.summary().get("sweep.dataTokens.b"));
    }

    @Test
    void aDivergedProbeIsLeftOutWithANote() {
        List<ProbeResult> results = new ArrayList<>(isoFlopResults());
        ProbeResult first = results.get(0);
        results.set(0, new ProbeResult(first.kind(), first.index(), first.compute(), first.modelScale(), first.tokens(),
                first.batchTokens(), first.learningRate(), 3, null, null, 0.1, false, 1));
        ScalingFit fit = SweepFitter.fit(SETTINGS, "tokens-digest", null, results);
        assertEquals(1, fit.notes().size());
        assertTrue(fit.notes().get(0).contains("diverged"), fit.notes().get(0));
        assertEquals(results.size() - 1, fit.isoFlop().budgets().stream().mapToInt(b -> b.points().size()).sum());
        assertNull(fit.prediction(), "no target budget, no prediction");
        assertEquals(1.0, fit.summary().get("sweep.probesDiverged"));
    }

    @Test
    void aFitWithoutIsoFlopProbesHasNoLossCurveToPredictFrom() {
        ScalingFit fit = new ScalingFit(ScalingFit.FORMAT, "t", SETTINGS, List.of(), null, null, ScalingLaws.paper(),
                null, List.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LossCurveFit.ofScalingFit(fit.toJson()).predict(1e21).loss());
        assertTrue(e.getMessage().contains("no loss-versus-compute curve"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ScalingFit.read("{\"format\":\"plan\"}".getBytes()));
    }

    /** A 3 x 3 grid at two budgets whose loss is least at {@code (bestBatch, bestRate)}, given as grid indices. */
    private static List<ProbeResult> grid(int bestBatch, int bestRate) {
        List<ProbeResult> results = new ArrayList<>();
        for (double c : List.of(1e17, 1e18)) {
            for (int b = 0; b < 3; b++) {
                for (int l = 0; l < 3; l++) {
                    double loss = 3 + 0.1 * Math.abs(b - bestBatch) + 0.1 * Math.abs(l - bestRate);
                    results.add(new ProbeResult(SweepOptions.HYPERPARAMETERS, results.size(), c, 1e8, (long) (c / 1e8),
                            256L << b, 1e-3 * (1 << l), 100, loss, loss, 0.5, false, 1));
                }
            }
        }
        return results;
    }

    @Test
    void aGridWhoseBestProbeIsOnItsEdgeIsNotedAndOneThatBracketsItIsNot() {
        assertEquals(List.of(), SweepFitter.fit(SETTINGS, "t", null, grid(1, 1)).notes());
        List<String> notes = SweepFitter.fit(SETTINGS, "t", null, grid(2, 0)).notes();
        assertEquals(2, notes.size(), notes.toString());
        assertTrue(notes.get(0).startsWith("C = 1.00e+17: the best probe has the grid's largest batch and smallest "
                + "learning rate, so the optimum may lie outside the grid"), notes.get(0));
    }

    @Test
    void defaultBudgetsSpreadBelowTheTargetAndWithoutATargetTheyAreRequired() {
        SweepOptions none = new SweepOptions(null, null, null, null, null, null, null, null, null, null, null, null);
        SweepSettings settings = SweepSettings.resolve(none, 1e20);
        List<Double> expected = List.of(1e16, 3e16, 1e17);
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i), settings.budgets().get(i), 1e-9 * expected.get(i));
        }
        assertEquals(SweepOptions.BOTH, settings.kind());
        assertEquals(PaperLaws.NEAR_OPTIMAL_MARGIN, settings.margin());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SweepSettings.resolve(none, null));
        assertTrue(e.getMessage().startsWith("budgets:"), e.getMessage());
    }
}
