package dev.lmforge.activities.planning;

import dev.lmforge.activities.model.LossCurveFit;
import dev.lmforge.activities.model.PowerLawFit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IsoFlopFitterTest {

    private static final KnownLossLaw LAW = new KnownLossLaw(400, 0.30, 400, 0.33);
    private static final double TRUE_A = LAW.modelScaleExponent();
    private static final double TRUE_K = LAW.modelScaleCoefficient();

    private static double loss(double m, double d) {
        return LAW.loss(m, d);
    }

    /** Eight budgets 1e17..3e20 as in the paper, ten M values each over ×1/4..×4 of a guess 30 % off the optimum. */
    private static List<IsoFlopPoint> sweep(long seed, double noise) {
        Random random = new Random(seed);
        List<IsoFlopPoint> points = new ArrayList<>();
        for (double c : new double[] {1e17, 3e17, 1e18, 3e18, 1e19, 3e19, 1e20, 3e20}) {
            double guess = 1.3 * TRUE_K * Math.pow(c, TRUE_A);
            for (int i = 0; i < 10; i++) {
                double m = guess * Math.pow(16, i / 9.0 - 0.5);
                double d = c / m;
                points.add(new IsoFlopPoint(c, m, d, loss(m, d) * (1 + noise * random.nextGaussian())));
            }
        }
        return points;
    }

    @Test
    void recoversTheKnownExponentsWithoutNoise() {
        IsoFlopFit fit = IsoFlopFitter.fit(sweep(0, 0));
        assertEquals(8, fit.budgets().size());
        // Every budget's sweep has the same shape in ln M, so the parabola's bias is one constant factor on
        // M_opt and the exponent comes back exactly.
        assertEquals(TRUE_A, fit.modelScaleLaw().exponent(), 1e-9);
        assertEquals(1 - TRUE_A, fit.dataTokensLaw().exponent(), 1e-9);
        assertEquals(1.0, fit.modelScaleLaw().exponent() + fit.dataTokensLaw().exponent(), 1e-9);
        assertEquals(1.0, fit.modelScaleLaw().coefficient() * fit.dataTokensLaw().coefficient(), 1e-9);
        for (IsoFlopOptimum budget : fit.budgets()) {
            double trueOptimum = TRUE_K * Math.pow(budget.compute(), TRUE_A);
            assertEquals(1.0, budget.optimalModelScale() / trueOptimum, 0.05, "budget " + budget.compute());
            assertTrue(budget.withinSweep());
            assertEquals(10, budget.residuals().size());
        }
    }

    @Test
    void recoversTheKnownExponentsFromNoisyLosses() {
        IsoFlopFit fit = IsoFlopFitter.fit(sweep(2024, 0.003));
        PowerLawFit law = fit.modelScaleLaw();
        assertEquals(TRUE_A, law.exponent(), 0.01);
        assertTrue(Math.abs(law.exponent() - TRUE_A) < 3 * law.exponentStdErr(),
                "a = " + law.exponent() + " ± " + law.exponentStdErr());
        fit.budgets().forEach(b -> assertTrue(b.logModelScaleStdErr() > 0));
    }

    @Test
    void lossCurvePredictsAThousandfoldLargerRun() {
        IsoFlopFit fit = IsoFlopFitter.fit(sweep(5, 0.001));
        assertEquals(LAW.minimumLossExponent(), fit.lossCurve().law().exponent(), 0.01);
        double c = 3e23;
        double mOpt = TRUE_K * Math.pow(c, TRUE_A);
        LossCurveFit.LossPrediction prediction = fit.lossCurve().predict(c);
        double truth = loss(mOpt, c / mOpt);
        assertEquals(0, prediction.relativeError(truth), 0.02);
        assertTrue(prediction.lower() < prediction.loss() && prediction.loss() < prediction.upper());
    }

    @Test
    void exactlyThreePointsFitWithoutStandardErrors() {
        List<IsoFlopPoint> points = new ArrayList<>();
        for (double c : new double[] {1e18, 1e19}) {
            double optimum = TRUE_K * Math.pow(c, TRUE_A);
            for (double f : new double[] {0.5, 1, 2}) {
                points.add(new IsoFlopPoint(c, optimum * f, c / (optimum * f), loss(optimum * f, c / (optimum * f))));
            }
        }
        IsoFlopFit fit = IsoFlopFitter.fit(points);
        assertNull(fit.budgets().get(0).curveStdErrs());
        assertNull(fit.budgets().get(0).logModelScaleStdErr());
        assertNull(fit.modelScaleLaw().exponentStdErr());
    }

    @Test
    void optimumOutsideTheSweepIsFlagged() {
        List<IsoFlopPoint> points = new ArrayList<>(sweep(0, 0).subList(0, 10));
        double c = 1e20;
        double optimum = TRUE_K * Math.pow(c, TRUE_A);
        for (double f : new double[] {2, 3, 4, 6, 8}) {
            points.add(new IsoFlopPoint(c, optimum * f, c / (optimum * f), loss(optimum * f, c / (optimum * f))));
        }
        IsoFlopFit fit = IsoFlopFitter.fit(points);
        assertTrue(fit.budgets().get(0).withinSweep());
        assertFalse(fit.budgets().get(1).withinSweep());
    }

    @Test
    void fewerThanThreePointsAtABudgetIsRefusedNamingIt() {
        List<IsoFlopPoint> points = new ArrayList<>(sweep(0, 0).subList(0, 10));
        points.add(new IsoFlopPoint(5e18, 1e9, 5e9, 2.0));
        points.add(new IsoFlopPoint(5e18, 2e9, 2.5e9, 2.1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IsoFlopFitter.fit(points));
        assertEquals("budget C = 5.000e+18 has 2 point(s); a parabola needs at least 3", e.getMessage());
    }

    @Test
    void downwardParabolaIsANonConvergenceErrorNamingTheBudget() {
        List<IsoFlopPoint> points = new ArrayList<>(sweep(0, 0).subList(0, 10));
        double c = 4e18;
        for (double m : new double[] {1e8, 1e9, 1e10}) {
            double u = Math.log(m / 1e9);
            points.add(new IsoFlopPoint(c, m, c / m, 10 - u * u));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IsoFlopFitter.fit(points));
        assertTrue(e.getMessage().startsWith("budget C = 4.000e+18 did not converge"), e.getMessage());
    }

    @Test
    void repeatedModelScalesDoNotMakeAParabola() {
        List<IsoFlopPoint> points = new ArrayList<>(sweep(0, 0).subList(0, 10));
        for (double loss : new double[] {2.0, 2.1, 2.2}) {
            points.add(new IsoFlopPoint(1e19, 1e9, 1e10, loss));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IsoFlopFitter.fit(points));
        assertEquals("budget C = 1.000e+19: needs at least 3 distinct M values", e.getMessage());
    }

    @Test
    void oneBudgetIsNotEnough() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IsoFlopFitter.fit(sweep(0, 0).subList(0, 10)));
        assertEquals("an IsoFLOP fit needs at least 2 budgets, got 1", e.getMessage());
    }

    @Test
    void pointWhoseModelTimesTokensMissesTheBudgetIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new IsoFlopPoint(1e18, 1e10, 1e10, 2.0));
        assertEquals("M·D = 1.000e+20 is more than 25 % away from compute = 1.000e+18", e.getMessage());
    }
}
