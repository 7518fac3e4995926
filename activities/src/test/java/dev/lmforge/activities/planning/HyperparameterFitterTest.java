package dev.lmforge.activities.planning;

import dev.lmforge.activities.model.PaperLaws;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HyperparameterFitterTest {

    /**
     * A grid sweep around a known optimum that follows Eq. 1: at each budget the loss is a bowl in
     * (ln B, ln η) centred on {@code B_opt(C)}, {@code η_opt(C)}, 8 × 8 points a factor √2 apart, the grid's
     * centre shifted off the optimum by a seeded fraction of a step, with seeded relative noise on the loss.
     */
    private static List<HyperparameterPoint> grid(long seed, double noise) {
        Random random = new Random(seed);
        List<HyperparameterPoint> points = new ArrayList<>();
        for (double c : new double[] {1e17, 4e17, 2e18, 8e18, 3e19}) {
            double batch = PaperLaws.BATCH_TOKENS.at(c);
            double rate = PaperLaws.LEARNING_RATE.at(c);
            double shiftB = random.nextDouble() - 0.5;
            double shiftR = random.nextDouble() - 0.5;
            double bestLoss = 3.0 * Math.pow(c / 1e17, -0.05);
            for (int i = 0; i < 8; i++) {
                for (int j = 0; j < 8; j++) {
                    double b = batch * Math.pow(Math.sqrt(2), i - 3.5 + shiftB);
                    double r = rate * Math.pow(Math.sqrt(2), j - 3.5 + shiftR);
                    double lb = Math.log(b / batch);
                    double lr = Math.log(r / rate);
                    double loss = bestLoss * (1 + 0.004 * lb * lb + 0.006 * lr * lr)
                            * (1 + noise * random.nextGaussian());
                    points.add(new HyperparameterPoint(c, b, r, loss));
                }
            }
        }
        return points;
    }

    @Test
    void recoversEq1FromANoisyGrid() {
        HyperparameterFit fit = HyperparameterFitter.fit(grid(11, 0.0003));
        assertEquals(PaperLaws.NEAR_OPTIMAL_MARGIN, fit.margin());
        assertEquals(5, fit.budgets().size());
        assertEquals(-0.1250, fit.learningRateLaw().exponent(), 0.02);
        assertEquals(0.3271, fit.batchTokensLaw().exponent(), 0.02);
        for (HyperparameterOptimum budget : fit.budgets()) {
            assertEquals(64, budget.points().size());
            assertTrue(budget.nearOptimal().size() > 1 && budget.nearOptimal().size() < 64,
                    "near-optimal set of " + budget.nearOptimal().size());
            assertTrue(budget.nearOptimal().contains(budget.best()));
            double threshold = budget.best().loss() * (1 + fit.margin());
            budget.nearOptimal().forEach(p -> assertTrue(p.loss() <= threshold));
            assertEquals(1.0, budget.learningRate() / PaperLaws.LEARNING_RATE.at(budget.compute()), 0.1);
            assertEquals(1.0, budget.batchTokens() / PaperLaws.BATCH_TOKENS.at(budget.compute()), 0.1);
        }
    }

    @Test
    void zeroMarginKeepsOnlyTheBestRun() {
        HyperparameterFit fit = HyperparameterFitter.fit(grid(3, 0.0003), 0);
        for (HyperparameterOptimum budget : fit.budgets()) {
            assertEquals(List.of(budget.best()), budget.nearOptimal());
            assertEquals(budget.best().learningRate(), budget.learningRate(), 1e-15);
        }
    }

    @Test
    void wideMarginWidensTheSet() {
        List<HyperparameterPoint> points = grid(3, 0);
        int narrow = HyperparameterFitter.fit(points, 0.001).budgets().get(0).nearOptimal().size();
        int wide = HyperparameterFitter.fit(points, 0.01).budgets().get(0).nearOptimal().size();
        assertTrue(wide > narrow, wide + " vs " + narrow);
    }

    @Test
    void tooFewRunsAtABudgetIsRefusedNamingIt() {
        List<HyperparameterPoint> points = new ArrayList<>(grid(1, 0).subList(0, 64));
        points.add(new HyperparameterPoint(2e19, 1e6, 1e-3, 2.0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HyperparameterFitter.fit(points));
        assertEquals("budget C = 2.000e+19 has 1 run(s); a sweep needs at least 3 per budget", e.getMessage());
    }

    @Test
    void badMarginAndSingleBudgetAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> HyperparameterFitter.fit(grid(1, 0), -0.1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HyperparameterFitter.fit(grid(1, 0).subList(0, 64)));
        assertEquals("a hyperparameter fit needs at least 2 budgets, got 1", e.getMessage());
    }
}
