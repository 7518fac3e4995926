package dev.lmforge.activities.evaluation;

import dev.lmforge.activities.text.RepetitionRatio;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Answer parsers and the repetition ratio. */
class AnswerScoringTest {

    @Test
    void exactMatchesAfterTrimmingOnly() {
        assertTrue(AnswerParser.EXACT.matches("  abc\n", "abc"));
        assertFalse(AnswerParser.EXACT.matches("abc d", "abc"));
        assertFalse(AnswerParser.EXACT.matches("ABC", "abc"));
    }

    @Test
    void numberTakesTheFirstNumberOfTheGeneration() {
        assertTrue(AnswerParser.NUMBER.matches("19 apples, not 20", "19"));
        assertTrue(AnswerParser.NUMBER.matches("= 19.0", " 19"));
        assertTrue(AnswerParser.NUMBER.matches("-4", "-4"));
        assertTrue(AnswerParser.NUMBER.matches("1,234 in all", "1234"));
        assertFalse(AnswerParser.NUMBER.matches("20 or 19", "19"));
        assertFalse(AnswerParser.NUMBER.matches("nineteen", "19"));
        assertEquals(new BigDecimal("3.5"), AnswerParser.firstNumber("x=3.5."));
        assertNull(AnswerParser.firstNumber("none"));
        assertThrows(IllegalArgumentException.class, () -> AnswerParser.targetNumber("19 or so"));
    }

    @Test
    void repetitionRatioCountsRepeatedFourGrams() {
        int[] looping = {1, 2, 1, 2, 1, 2, 1, 2};
        // 5 four-grams: 1212, 2121, 1212, 2121, 1212; 3 seen before.
        RepetitionRatio ratio = RepetitionRatio.of(List.of(looping));
        assertEquals(new RepetitionRatio(3 / 5.0, 3, 5), ratio);
        int[] fresh = {1, 2, 3, 4, 5, 6, 7};
        assertEquals(new RepetitionRatio(3 / 9.0, 3, 9), RepetitionRatio.of(List.of(looping, fresh)));
        // N-grams repeat only within one generation.
        assertEquals(0.0, RepetitionRatio.of(List.of(fresh, fresh)).ratio());
        assertEquals(new RepetitionRatio(0, 0, 0), RepetitionRatio.of(List.of(new int[] {1, 1, 1})));
    }
}
