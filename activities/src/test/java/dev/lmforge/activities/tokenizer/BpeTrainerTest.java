package dev.lmforge.activities.tokenizer;

import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.text.TrainedTokenizers;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BpeTrainerTest {

    @Test
    void vocabularySmallerThanBytesPlusSpecialsNamesBothNumbers() {
        var e = assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(261));
        assertEquals("vocabulary size 261 is smaller than the 256 byte tokens plus 6 special tokens (262)", e.getMessage());
    }

    @Test
    void emptyInputIsAnError() {
        BpeTrainer trainer = new BpeTrainer(1000);
        trainer.addText("");
        var e = assertThrows(IllegalStateException.class, trainer::train);
        assertEquals("no training text: the input is empty", e.getMessage());
    }

    @Test
    void specialTokensMustBeDistinctPrintableAndUnlearnable() {
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(1000, List.of("<|a|>", "<|a|>")));
        var space = assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(1000, List.of("<|a b|>")));
        assertEquals("special token '<|a b|>' must be printable ASCII without spaces", space.getMessage());
        var learnable = assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(1000, List.of("<>")));
        assertEquals("special token '<>' could also be learned as an ordinary token; mix letters with punctuation, like <|user|>",
            learnable.getMessage());
    }

    @Test
    void idsAreSpecialsThenBytesThenMergesInOrder() {
        BpeTrainer trainer = new BpeTrainer(300);
        trainer.addText("hello");
        BpeTokenizer tokenizer = trainer.train();
        for (int i = 0; i < BpeTrainer.DEFAULT_SPECIAL_TOKENS.size(); i++) {
            assertEquals(i, tokenizer.specialTokenId(BpeTrainer.DEFAULT_SPECIAL_TOKENS.get(i)));
        }
        assertArrayEquals(new byte[] {0}, tokenizer.tokenBytes(6));
        assertArrayEquals(new byte[] {(byte) 255}, tokenizer.tokenBytes(6 + 255));
        assertEquals(4, tokenizer.mergeCount(), "the text runs out of pairs before 300 ids");
        assertArrayEquals(new int[] {6 + 256 + 3}, tokenizer.encode("hello"));
    }

    @Test
    void mostFrequentPairFirstAndTiesToTheSmallestIds() {
        // Pairs: (' ', 'c'), ('a', 'b') and ('c', 'd') occur 3 times each, (' ', 'a') twice: ' ' (32) is smallest.
        BpeTrainer trainer = new BpeTrainer(6 + 256 + 3);
        trainer.addText("ab ab ab cd cd cd");
        BpeTokenizer tokenizer = trainer.train();
        assertEquals(" c", new String(tokenizer.tokenBytes(6 + 256), StandardCharsets.US_ASCII));
        assertEquals("ab", new String(tokenizer.tokenBytes(6 + 256 + 1), StandardCharsets.US_ASCII));
        assertEquals(" cd", new String(tokenizer.tokenBytes(6 + 256 + 2), StandardCharsets.US_ASCII));
    }

    @Test
    void countsOverlappingPairsOnce() {
        // "aaaa" holds (a, a) three times but merges into two tokens; the next merge must see (aa, aa) twice.
        BpeTrainer trainer = new BpeTrainer(6 + 256 + 2, BpeTrainer.DEFAULT_SPECIAL_TOKENS);
        trainer.addText("aaaa aaaa");
        BpeTokenizer tokenizer = trainer.train();
        assertEquals("aa", new String(tokenizer.tokenBytes(6 + 256), StandardCharsets.US_ASCII));
        assertEquals("aaaa", new String(tokenizer.tokenBytes(6 + 256 + 1), StandardCharsets.US_ASCII));
    }

    @Test
    void sameTextInAnyOrderGivesTheSameTokenizer() {
        List<String> lines = new ArrayList<>(TrainedTokenizers.mixedTextLines());
        BpeTokenizer first = train(lines);
        Collections.shuffle(lines, new Random(5));
        BpeTokenizer shuffled = train(lines);
        assertEquals(first.mergeCount(), shuffled.mergeCount());
        for (int id = 0; id < first.vocabularySize(); id++) {
            assertArrayEquals(first.tokenBytes(id), shuffled.tokenBytes(id), "id " + id);
        }
    }

    @Test
    void reportsProgressEveryThousandMerges() {
        StringBuilder text = new StringBuilder();
        Random random = new Random(9);
        for (int i = 0; i < 20_000; i++) {
            text.append(' ').append(Integer.toString(random.nextInt(1 << 30), 36).replaceAll("[0-9]", ""));
        }
        BpeTrainer trainer = new BpeTrainer(6 + 256 + 2500);
        trainer.addText(text.toString());
        List<Integer> reports = new ArrayList<>();
        BpeTokenizer tokenizer = trainer.train(reports::add);
        assertEquals(2500, tokenizer.mergeCount());
        assertEquals(List.of(1000, 2000), reports);
    }

    private static BpeTokenizer train(List<String> lines) {
        BpeTrainer trainer = new BpeTrainer(600);
        lines.forEach(trainer::addText);
        return trainer.train();
    }
}
