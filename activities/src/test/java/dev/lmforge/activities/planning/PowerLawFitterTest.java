package dev.lmforge.activities.planning;

import dev.lmforge.activities.model.PowerLawFit;
import dev.lmforge.activities.model.PaperLaws;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PowerLawFitterTest {

    /** 20 points of {@code 0.1715·C^0.5243} (Eq. 4's M_opt) over the paper's sweep range, with log-normal noise. */
    private static List<PowerLawFit.Point> noisyEq4(long seed, double sigma) {
        Random random = new Random(seed);
        List<PowerLawFit.Point> points = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            double c = 1e17 * Math.pow(3e20 / 1e17, i / 19.0);
            points.add(new PowerLawFit.Point(c, PaperLaws.MODEL_SCALE.at(c) * Math.exp(sigma * random.nextGaussian())));
        }
        return points;
    }

    @Test
    void exactPointsGiveTheLawBack() {
        PowerLawFit fit = PowerLawFitter.fit(noisyEq4(1, 0));
        assertEquals(0.5243, fit.exponent(), 1e-9);
        assertEquals(0.1715, fit.coefficient(), 1e-7);
        assertEquals(1.0, fit.rSquared(), 1e-12);
        fit.logResiduals().forEach(r -> assertEquals(0, r, 1e-9));
    }

    @Test
    void recoversTheExponentFromNoisyPointsWithinItsStandardError() {
        PowerLawFit fit = PowerLawFitter.fit(noisyEq4(42, 0.05));
        assertTrue(fit.exponentStdErr() > 0 && fit.exponentStdErr() < 0.02, "se " + fit.exponentStdErr());
        assertEquals(0.5243, fit.exponent(), 3 * fit.exponentStdErr());
        assertEquals(0.1715, fit.coefficient(), 3 * fit.coefficientStdErr());
        assertEquals(20, fit.logResiduals().size());
    }

    @Test
    void standardErrorsAreCalibrated() {
        // Over many seeded sweeps the true exponent lies within 1.96 standard errors about 95 % of the time.
        int covered = 0;
        int trials = 400;
        for (int seed = 0; seed < trials; seed++) {
            PowerLawFit fit = PowerLawFitter.fit(noisyEq4(seed, 0.1));
            if (Math.abs(fit.exponent() - 0.5243) < 1.96 * fit.exponentStdErr()) {
                covered++;
            }
        }
        assertEquals(0.95, covered / (double) trials, 0.04);
    }

    @Test
    void predictionBandWidensAwayFromTheData() {
        PowerLawFit fit = PowerLawFitter.fit(noisyEq4(7, 0.05));
        double inside = fit.logStdErrAt(Math.exp(fit.meanLogX()));
        assertEquals(fit.meanLogYStdErr(), inside, 1e-12);
        assertTrue(fit.logStdErrAt(1e23) > 2 * inside);
    }

    @Test
    void twoPointsFitExactlyWithoutStandardErrors() {
        PowerLawFit fit = PowerLawFitter.fit(List.of(new PowerLawFit.Point(10, 20), new PowerLawFit.Point(1000, 2)));
        assertEquals(-0.5, fit.exponent(), 1e-12);
        assertEquals(20 * Math.sqrt(10), fit.coefficient(), 1e-9);
        assertNull(fit.exponentStdErr());
        assertNull(fit.coefficientStdErr());
        assertNull(fit.logStdErrAt(100));
    }

    @Test
    void badPointsAreRefusedNamingThem() {
        IllegalArgumentException one = assertThrows(IllegalArgumentException.class,
                () -> PowerLawFitter.fit(List.of(new PowerLawFit.Point(1, 1))));
        assertEquals("a power law needs at least 2 points, got 1", one.getMessage());
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> PowerLawFitter.fit(
                List.of(new PowerLawFit.Point(1, 1), new PowerLawFit.Point(2, -3))));
        assertEquals("point 2: y must be positive and finite, got -3.0", negative.getMessage());
        IllegalArgumentException sameX = assertThrows(IllegalArgumentException.class, () -> PowerLawFitter.fit(
                List.of(new PowerLawFit.Point(5, 1), new PowerLawFit.Point(5, 2), new PowerLawFit.Point(5, 3))));
        assertEquals("a power law needs at least 2 distinct x values", sameX.getMessage());
    }
}
