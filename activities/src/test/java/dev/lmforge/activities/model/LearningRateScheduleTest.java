package dev.lmforge.activities.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LearningRateScheduleTest {

    @Test
    void fullScaleRunWarmsUpOver2000StepsAndDropsAt80And90Percent() {
        LearningRateSchedule schedule = LearningRateSchedule.multiStep(3.2e-4, 106_000);
        assertEquals(2000, schedule.warmupSteps());
        assertEquals(84_800, schedule.drops().get(0).fromStep());
        assertEquals(95_400, schedule.drops().get(1).fromStep());
        assertEquals(3.2e-4 / 2000, schedule.learningRateAt(0), 1e-15);
        assertEquals(3.2e-4, schedule.learningRateAt(1999), 1e-15);
        assertEquals(3.2e-4, schedule.learningRateAt(84_799), 1e-15);
        assertEquals(0.316 * 3.2e-4, schedule.learningRateAt(84_800), 1e-15);
        assertEquals(0.316 * 3.2e-4, schedule.learningRateAt(95_399), 1e-15);
        assertEquals(0.1 * 3.2e-4, schedule.learningRateAt(95_400), 1e-15);
    }

    @Test
    void smallRunWarmsUpOverThreePercent() {
        LearningRateSchedule schedule = LearningRateSchedule.multiStep(1e-3, 1700);
        assertEquals(51, schedule.warmupSteps());
        assertEquals(1360, schedule.drops().get(0).fromStep());
        assertEquals(1530, schedule.drops().get(1).fromStep());
    }

    @Test
    void oneStepRunStillHasAWarmUpStep() {
        LearningRateSchedule schedule = LearningRateSchedule.multiStep(1e-3, 1);
        assertEquals(1, schedule.warmupSteps());
        assertEquals(1e-3, schedule.learningRateAt(0), 1e-15);
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.multiStep(0, 100));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.multiStep(1e-3, 0));
        assertThrows(IllegalArgumentException.class,
                () -> LearningRateSchedule.multiStep(1e-3, 100).learningRateAt(-1));
    }

    @Test
    void cosineWarmsUpLikeMultiStepThenFallsFromThePeakToTenPercent() {
        CosineSchedule cosine = CosineSchedule.of(1e-3, 1700);
        assertEquals(51, cosine.warmupSteps());
        assertEquals(1e-3 / 51, cosine.learningRateAt(0), 1e-15);
        assertEquals(1e-3, cosine.learningRateAt(51), 1e-15);
        assertEquals(0.55e-3, cosine.learningRateAt(51 + (1699 - 51) / 2), 1e-15);
        assertEquals(1e-4, cosine.learningRateAt(1699), 1e-15);
    }
}
