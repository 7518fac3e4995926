package dev.lmforge.activities.model;

import dev.lmforge.activities.evaluation.SmallTokenizers;
import dev.lmforge.activities.text.BpeTokenizer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lmforge.activities.model.GreedyDecoder.Generation;
import dev.lmforge.activities.model.GreedyDecoder.StopReason;
import java.util.List;
import org.junit.jupiter.api.Test;

public class GreedyDecoderTest {

    private static final BpeTokenizer TOKENIZER = SmallTokenizers.byteLevel();

    /**
     * A fake whose favourite next token spells {@code script} after the last {@code '='} in the row, then the
     * document end: it "answers" every prompt ending in {@code =} with the script.
     */
    public static FormulaFakeModel scriptedFakeModel(int contextLength, String script) {
        int equals = TOKENIZER.encode("=")[0];
        int end = TOKENIZER.specialTokenId(ModelWithTokenizer.DOCUMENT_END);
        int[] wanted = TOKENIZER.encode(script);
        return new FormulaFakeModel(TOKENIZER.vocabularySize(), contextLength, (row, i) -> {
            int last = i - 1;
            while (last >= 0 && row[last] != equals) {
                last--;
            }
            int written = i - last - 1;
            int favourite = last < 0 ? -1 : written < wanted.length ? wanted[written] : end;
            return row[i] == favourite ? -0.01 : -10;
        });
    }

    private static Generation decode(String script, String prompt, List<String> stops, int maxNewTokens) {
        ModelWithTokenizer model = ModelWithTokenizer.of(scriptedFakeModel(16, script), TOKENIZER);
        return new GreedyDecoder(model).generate(model.encodeDocument(prompt, false), stops, maxNewTokens);
    }

    @Test
    void stopsBeforeTheFirstStopSequenceEvenAcrossTokens() {
        Generation g = decode("19\n5", "12+7=", List.of("\n"), 8);
        assertEquals("19", g.text());
        assertEquals(StopReason.STOP_SEQUENCE, g.stoppedBy());
        assertArrayEquals(TOKENIZER.encode("19\n"), g.tokens());
        assertEquals("1", decode("19\n5", "12+7=", List.of("\n5", "9\n"), 8).text(), "the earliest stop wins");
    }

    @Test
    void stopsAtTheDocumentEndAndAtTheTokenLimit() {
        Generation ended = decode("19", "12+7=", List.of("\n"), 8);
        assertEquals("19", ended.text());
        assertEquals(StopReason.DOCUMENT_END, ended.stoppedBy());
        assertArrayEquals(TOKENIZER.encode("19"), ended.tokens(), "the document end is not a generated token");
        Generation limited = decode("123456789", "=", List.of("\n"), 4);
        assertEquals("1234", limited.text());
        assertEquals(StopReason.MAX_NEW_TOKENS, limited.stoppedBy());
    }

    @Test
    void aLongPromptLosesItsOldestTokensToLeaveRoomForTheAnswer() {
        // The fake refuses prompts over its context of 16 and appends past it.
        Generation g = decode("abcdef", "x".repeat(40) + "=", List.of(), 6);
        assertEquals("abcdef", g.text());
        assertThrows(IllegalArgumentException.class, () -> decode("ab", "=", List.of(), 16));
    }

    @Test
    void argmaxTakesTheFirstOfEqualBest() {
        assertEquals(1, GreedyDecoder.argmax(new float[] {-3, -1, -2, -1}));
    }
}
