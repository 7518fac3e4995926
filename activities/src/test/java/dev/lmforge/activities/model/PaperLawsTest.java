package dev.lmforge.activities.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PaperLawsTest {

    @Test
    void eq1AtSeveralBudgets() {
        // η_opt = 0.3118·C^-0.125: at C = 1e24 exactly 0.3118·1e-3.
        assertEquals(2.33817e-3, PaperLaws.LEARNING_RATE.at(1e17), 1e-8);
        assertEquals(9.85998e-4, PaperLaws.LEARNING_RATE.at(1e20), 1e-9);
        assertEquals(3.118e-4, PaperLaws.LEARNING_RATE.at(1e24), 1e-12);
        assertEquals(1.06190e5, PaperLaws.BATCH_TOKENS.at(1e17), 1);
        assertEquals(1.01714e6, PaperLaws.BATCH_TOKENS.at(1e20), 10);
        assertEquals(2.06911e7, PaperLaws.BATCH_TOKENS.at(1e24), 100);
    }

    @Test
    void eq4AtSeveralBudgets() {
        assertEquals(1.40399e8, PaperLaws.MODEL_SCALE.at(1e17), 1e3);
        assertEquals(5.25127e9, PaperLaws.MODEL_SCALE.at(1e20), 1e4);
        assertEquals(6.56847e11, PaperLaws.MODEL_SCALE.at(1e24), 1e6);
        assertEquals(7.12341e8, PaperLaws.DATA_TOKENS.at(1e17), 1e3);
        assertEquals(1.90453e10, PaperLaws.DATA_TOKENS.at(1e20), 1e5);
        assertEquals(1.52261e12, PaperLaws.DATA_TOKENS.at(1e24), 1e7);
    }

    @Test
    void eq4SpendsTheBudget() {
        // k_M·k_D = 1.0001 and a + b = 1: M_opt·D_opt is C to within the printed constants' rounding.
        for (double c : new double[] {1e13, 1e17, 1e20, 1e24}) {
            assertEquals(1.0, PaperLaws.MODEL_SCALE.at(c) * PaperLaws.DATA_TOKENS.at(c) / c, 2e-4);
        }
    }

    @Test
    void powerLawRejectsNonPositiveInput() {
        assertThrows(IllegalArgumentException.class, () -> PaperLaws.MODEL_SCALE.at(0));
        assertThrows(IllegalArgumentException.class, () -> PaperLaws.MODEL_SCALE.at(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new PowerLaw(-1, 0.5));
        assertThrows(IllegalArgumentException.class, () -> new PowerLaw(1, Double.POSITIVE_INFINITY));
    }
}
