package dev.lmforge.activities.alignment;

import dev.lmforge.activities.InvalidInputException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The spec's sft and dpo sections: defaults from the paper, and each bad field refused by name. */
class AlignmentSettingsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void missingSectionsTakeThePapersSettings() {
        AlignmentSettings settings = AlignmentSettings.of(null, null);
        assertEquals(SftOptions.paper(), settings.sft());
        assertEquals(DpoOptions.paper(), settings.dpo());
        assertEquals(AlignmentSettings.DEFAULT_BATCH_SEQUENCES, settings.batchSequences());
    }

    @Test
    void readsEveryField() throws Exception {
        AlignmentSettings settings = AlignmentSettings.of(
                JSON.readTree("{\"epochs\":2,\"learningRate\":5e-6,\"schedule\":\"constant\",\"twoStage\":true,"
                        + "\"batchSequences\":4,\"seed\":3,\"data\":\"sft.jsonl\"}"),
                JSON.readTree("{\"beta\":0.5,\"epochs\":2,\"learningRate\":1e-6,\"heldOutFraction\":0.5}"));
        assertEquals(new SftOptions(2, 5e-6, LearningRateShape.CONSTANT, true, 3), settings.sft());
        assertEquals(new DpoOptions(0.5, 2, 1e-6, LearningRateShape.COSINE, 0), settings.dpo());
        assertEquals("sft.jsonl", settings.sftData().toString());
        assertEquals(4, settings.batchSequences());
        List<PreferencePair> pairs = AlignmentData.bundledPreferences().subList(0, 10);
        assertEquals(List.of(pairs.subList(0, 5), pairs.subList(5, 10)), settings.split(pairs));
    }

    @Test
    void badFieldsAreNamed() {
        assertError("{\"epoch\":2}", null, "sft.epoch is not a known field");
        assertError("{\"epochs\":0}", null, "sft.epochs must be at least 1, not 0");
        assertError("{\"epochs\":1.5}", null, "sft.epochs must be an integer, not 1.5");
        assertError("{\"batchSequences\":3}", null, "sft.batchSequences must be even and at least 2, not 3");
        assertError("{\"schedule\":\"linear\"}", null, "sft.schedule must be cosine or constant, not \"linear\"");
        assertError(null, "{\"beta\":-1}", "dpo.beta must be positive and finite, not -1.0");
        assertError(null, "{\"heldOutFraction\":1}", "dpo.heldOutFraction must lie strictly between 0 and 1, not 1.0");
        assertError(null, "{\"learningRate\":\"fast\"}", "dpo.learningRate must be a number, not \"fast\"");
    }

    private static void assertError(String sft, String dpo, String expected) {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> AlignmentSettings.of(
                sft == null ? null : JSON.readTree(sft), dpo == null ? null : JSON.readTree(dpo)));
        assertEquals(expected, e.getMessage().substring(0, Math.min(expected.length(), e.getMessage().length())));
    }
}
