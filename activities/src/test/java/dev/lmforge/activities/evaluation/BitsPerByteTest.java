package dev.lmforge.activities.evaluation;

import dev.lmforge.activities.model.FormulaFakeModel;
import dev.lmforge.activities.model.ModelWithTokenizer;
import dev.lmforge.activities.text.BpeTokenizer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BitsPerByteTest {

    private static final List<String> TEXTS = List.of(SmallTokenizers.ENGLISH.repeat(3),
            "Debian 软件包 — ünïcödé text", "", "x", SmallTokenizers.ENGLISH);

    /** A fake that gives each byte probability 1/256, so a token of k bytes 256^-k, and specials nothing. */
    static FormulaFakeModel uniformByteFakeModel(BpeTokenizer tokenizer, int contextLength) {
        return new FormulaFakeModel(tokenizer.vocabularySize(), contextLength, (row, i) ->
                tokenizer.isSpecial(row[i]) ? -1e9 : -tokenizer.tokenBytes(row[i]).length * Math.log(256));
    }

    @Test
    void uniformByteModelHasExactlyEightBitsPerByteWithAnyTokenizerAndStride() {
        for (BpeTokenizer tokenizer : List.of(SmallTokenizers.byteLevel(), SmallTokenizers.merged())) {
            for (int stride : new int[] {1, 5, 16}) {
                ModelWithTokenizer model = ModelWithTokenizer.of(uniformByteFakeModel(tokenizer, 16), tokenizer);
                BitsPerByte.Result result = new BitsPerByte(model, stride, 4).measure(TEXTS);
                assertEquals(8.0, result.bitsPerByte(), 1e-6);
                long bytes = TEXTS.stream().mapToLong(t -> t.getBytes(StandardCharsets.UTF_8).length).sum();
                assertEquals(bytes, result.bytes());
                assertEquals(TEXTS.stream().mapToLong(t -> tokenizer.encode(t).length).sum(), result.tokens());
                assertEquals(TEXTS.size(), result.documents());
            }
        }
        assertTrue(SmallTokenizers.merged().encode(TEXTS.get(0)).length < TEXTS.get(0).length() / 2,
                "the merged tokenizer should really merge");
    }

    @Test
    void slidingWindowsAgreeWithOneDirectPassOverEachText() {
        // A bigram model: the log-probability depends on the previous token only, so any window gives the same
        // score to a token, and the total over all windows must equal one pass over the whole text.
        BpeTokenizer tokenizer = SmallTokenizers.merged();
        int vocabulary = tokenizer.vocabularySize();
        double[][] table = new double[vocabulary][vocabulary];
        Random random = new Random(7);
        for (double[] row : table) {
            for (int j = 0; j < vocabulary; j++) {
                row[j] = -random.nextDouble() * 10;
            }
        }
        double expectedNats = 0;
        for (String text : TEXTS) {
            int[] ids = ModelWithTokenizer.of(uniformByteFakeModel(tokenizer, 8), tokenizer).encodeDocument(text, false);
            for (int i = 1; i < ids.length; i++) {
                expectedNats += (float) table[ids[i - 1]][ids[i]];
            }
        }
        for (int stride : new int[] {1, 3, 8}) {
            FormulaFakeModel fake = new FormulaFakeModel(vocabulary, 8, (row, i) -> table[row[i - 1]][row[i]]);
            BitsPerByte.Result result = new BitsPerByte(ModelWithTokenizer.of(fake, tokenizer), stride, 3).measure(TEXTS);
            assertEquals(-expectedNats / Math.log(2), result.bits(), 1e-6 * Math.abs(expectedNats), "stride " + stride);
            assertTrue(fake.batchSizes.stream().allMatch(size -> size <= 3), "batches of at most 3 rows");
        }
    }

    @Test
    void windowsScoreEveryPositionOnceWithTheContextTheStrideAllows() {
        for (int window = 1; window <= 9; window++) {
            for (int stride = 1; stride <= window; stride++) {
                for (int length = 2; length <= 40; length++) {
                    int[] timesScored = new int[length];
                    for (BitsPerByte.Window w : BitsPerByte.windows(length, window, stride)) {
                        assertTrue(w.end() - w.begin() <= window + 1, "a window holds at most context + 1 ids");
                        assertTrue(w.begin() < w.firstScored(), "the first scored token has context");
                        for (int p = w.firstScored(); p < w.end(); p++) {
                            timesScored[p]++;
                            int wanted = Math.min(p, window - stride + 1);
                            assertTrue(p - w.begin() >= wanted, "position " + p + " gets " + (p - w.begin())
                                    + " tokens of context, wanted " + wanted);
                        }
                    }
                    assertEquals(0, timesScored[0], "the document start is never scored");
                    for (int p = 1; p < length; p++) {
                        assertEquals(1, timesScored[p], "position " + p + " of " + length + ", window " + window
                                + ", stride " + stride);
                    }
                }
            }
        }
    }

    @Test
    void strideOneGivesEveryTokenTheFullWindow() {
        for (BitsPerByte.Window w : BitsPerByte.windows(30, 6, 1)) {
            for (int p = w.firstScored(); p < w.end(); p++) {
                assertEquals(Math.min(p, 6), p - w.begin());
            }
        }
    }

    @Test
    void refusesBadStrideAndEmptyInput() {
        BpeTokenizer tokenizer = SmallTokenizers.byteLevel();
        ModelWithTokenizer model = ModelWithTokenizer.of(uniformByteFakeModel(tokenizer, 8), tokenizer);
        assertThrows(IllegalArgumentException.class, () -> new BitsPerByte(model, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new BitsPerByte(model, 9, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BitsPerByte(model, 8, 1).measure(List.of("", "")));
        assertTrue(e.getMessage().contains("no held-out bytes"), e.getMessage());
    }

    @Test
    void refusesAModelWhoseVocabularyIsNotItsTokenizers() {
        BpeTokenizer tokenizer = SmallTokenizers.byteLevel();
        FormulaFakeModel other = new FormulaFakeModel(tokenizer.vocabularySize() + 1, 8, (row, i) -> 0);
        Exception e = assertThrows(RuntimeException.class, () -> ModelWithTokenizer.of(other, tokenizer));
        assertTrue(e.getMessage().contains("not trained together"), e.getMessage());
    }
}
