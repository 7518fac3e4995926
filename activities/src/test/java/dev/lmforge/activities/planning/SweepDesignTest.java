package dev.lmforge.activities.planning;

import dev.lmforge.activities.model.BudgetPlan;
import dev.lmforge.activities.model.ModelShape;
import dev.lmforge.activities.model.PaperLaws;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SweepDesignTest {

    @Test
    void isoFlopProbesSpanTheOptimumAndSpendTheBudget() {
        double c = 1e18;
        List<BudgetPlan> probes = SweepDesign.isoFlop(BudgetRequest.of(c), 9, 4);
        assertTrue(probes.size() >= 7, probes.size() + " distinct shapes");
        double optimum = PaperLaws.MODEL_SCALE.at(c);
        assertTrue(probes.get(0).model().modelScale() < optimum / 2);
        assertTrue(probes.get(probes.size() - 1).model().modelScale() > optimum * 2);
        for (int i = 0; i < probes.size(); i++) {
            BudgetPlan probe = probes.get(i);
            assertEquals(1.0, probe.plannedCompute() / c, 0.05, "probe " + i);
            assertEquals(PaperLaws.LEARNING_RATE.at(c), probe.learningRate(), 1e-15);
            if (i > 0) {
                assertTrue(probe.model().modelScale() > probes.get(i - 1).model().modelScale());
            }
        }
    }

    @Test
    void aToyBudgetsProbesIncludeShapesNarrowerThanAnyPlanWhileItsPlanStaysOnTheLadder() {
        BudgetRequest toy = new BudgetRequest(1.5e10, null, 32, 512, null, null);
        List<BudgetPlan> probes = SweepDesign.isoFlop(toy, 5, 4);
        assertEquals(List.of(16, 32, 48), probes.stream().map(p -> p.model().shape().dModel()).toList());
        probes.forEach(p -> assertEquals(1, p.model().shape().layers()));
        probes.forEach(p -> assertEquals(16, p.model().shape().headDim()));
        assertEquals(64, BudgetPlanner.plan(toy).model().shape().dModel(), "plans start at one layer of width 64");
        // Below the toys' range too few shapes remain, and the design says so with the budget.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SweepDesign.isoFlop(new BudgetRequest(1e9, null, 32, 512, null, null), 5, 4));
        assertTrue(e.getMessage().startsWith("budget C = 1.000e+09"), e.getMessage());
    }

    @Test
    void isoFlopProbesFedToTheFitterRecoverAKnownLaw() {
        // A law whose optimum sits near Eq. 4's (k ≈ 0.17), so the sweep around Eq. 4's M_opt brackets it.
        KnownLossLaw law = new KnownLossLaw(144, 0.30, 400, 0.33);
        List<IsoFlopPoint> points = new ArrayList<>();
        for (double c : new double[] {1e17, 3e17, 1e18, 3e18, 1e19}) {
            for (BudgetPlan probe : SweepDesign.isoFlop(BudgetRequest.of(c), 9, 4)) {
                double m = probe.model().modelScale();
                points.add(new IsoFlopPoint(c, m, probe.tokens(), law.loss(m, probe.tokens())));
            }
        }
        IsoFlopFit fit = IsoFlopFitter.fit(points);
        assertEquals(law.modelScaleExponent(), fit.modelScaleLaw().exponent(), 0.005);
        fit.budgets().forEach(b -> assertTrue(b.withinSweep(), "budget " + b.compute()));
    }

    @Test
    void hyperparameterGridCentresOnEq1() {
        double c = 1e17;
        BudgetRequest request = BudgetRequest.of(c);
        List<BudgetPlan> grid = SweepDesign.hyperparameterGrid(request, 3, 3, 2);
        assertEquals(9, grid.size());
        ModelShape shape = BudgetPlanner.plan(request).model().shape();
        grid.forEach(p -> assertEquals(shape, p.model().shape()));
        grid.forEach(p -> assertEquals(1.0, p.plannedCompute() / c, 0.05));
        BudgetPlan centre = grid.get(4);
        assertEquals(PaperLaws.LEARNING_RATE.at(c), centre.learningRate(), 1e-15);
        assertEquals(PaperLaws.BATCH_TOKENS.at(c), centre.batchTokens(), shape.seqLen() / 2.0);
        assertEquals(2.0, grid.get(5).learningRate() / centre.learningRate(), 1e-12);
        assertEquals(2.0, grid.get(7).batchTokens() / (double) centre.batchTokens(), 0.05);
        assertEquals(centre.learningRate(), centre.schedule().peak());
    }

    @Test
    void designsThatCannotBeFittedAreRefused() {
        IllegalArgumentException narrow = assertThrows(IllegalArgumentException.class,
                () -> SweepDesign.isoFlop(BudgetRequest.of(1e13), 9, 1.05));
        assertTrue(narrow.getMessage().startsWith("budget C = 1.000e+13: model scales"), narrow.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SweepDesign.isoFlop(BudgetRequest.of(1e18), 2, 4));
        assertThrows(IllegalArgumentException.class, () -> SweepDesign.isoFlop(BudgetRequest.of(1e18), 9, 1));
        assertThrows(IllegalArgumentException.class,
                () -> SweepDesign.hyperparameterGrid(BudgetRequest.of(1e18), 3, 3, 0.5));
    }
}
