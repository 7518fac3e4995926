package dev.lmforge.activities.text;

import dev.lmforge.activities.tokenizer.BpeTrainer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class BpeTokenizerTest {

    private final BpeTokenizer tokenizer = TrainedTokenizers.mixedTextTokenizer();

    @Test
    void roundTripsRandomBytes() {
        Random random = new Random(1);
        for (int sample = 0; sample < 2000; sample++) {
            byte[] bytes = RandomText.bytes(random, 200);
            assertArrayEquals(bytes, tokenizer.decodeBytes(tokenizer.encode(bytes)));
        }
    }

    @Test
    void roundTripsRandomUnicode() {
        Random random = new Random(2);
        for (int sample = 0; sample < 2000; sample++) {
            String text = RandomText.unicode(random, 60);
            assertEquals(text, tokenizer.decode(tokenizer.encode(text)), () -> PreTokenizerTest.escape(text));
        }
    }

    @Test
    void roundTripsAdversarialText() {
        for (String text : Adversarial.strings()) {
            assertEquals(text, tokenizer.decode(tokenizer.encode(text)), () -> PreTokenizerTest.escape(text));
        }
    }

    @Test
    void everyMergeShortensTheTrainingTextByItsCount() {
        // Encoding the training texts replays training, where each merge joined at least one pair.
        long bytes = 0;
        long tokens = 0;
        for (String line : TrainedTokenizers.mixedTextLines()) {
            bytes += line.getBytes(StandardCharsets.UTF_8).length;
            tokens += tokenizer.encode(line).length;
        }
        assertEquals(700 - 256 - BpeTrainer.DEFAULT_SPECIAL_TOKENS.size(), tokenizer.mergeCount());
        assertTrue(tokens <= bytes - tokenizer.mergeCount(), tokens + " tokens for " + bytes + " bytes");
    }

    @Test
    void specialTokensAreTextUnlessAskedFor() {
        int user = tokenizer.specialTokenId("<|user|>");
        String text = "<|user|>hi<|eos|>";
        int[] plain = tokenizer.encode(text);
        assertTrue(Arrays.stream(plain).noneMatch(tokenizer::isSpecial));
        int[] special = tokenizer.encodeWithSpecialTokens(text);
        assertEquals(user, special[0]);
        assertEquals(tokenizer.specialTokenId("<|eos|>"), special[special.length - 1]);
        assertArrayEquals(tokenizer.encode("hi"), Arrays.copyOfRange(special, 1, special.length - 1));
        assertEquals(text, tokenizer.decode(special));
        assertEquals("hi", tokenizer.decode(special, true));
    }

    @Test
    void specialTokensTakeTheLongestAtTheSamePlace() {
        BpeTrainer trainer = new BpeTrainer(300, List.of("<|a|>", "<|a|>x<|b|>"));
        trainer.addText("some text");
        BpeTokenizer t = trainer.train();
        assertArrayEquals(new int[] {1, 0}, t.encodeWithSpecialTokens("<|a|>x<|b|><|a|>"));
    }

    @Test
    void decodingInvalidUtf8ReplacesEachMaximalSubpartAsUnicodeRecommends() {
        byte[] surrogate = {(byte) 0xED, (byte) 0xA0, (byte) 0x80};
        assertEquals("\uFFFD\uFFFD\uFFFD", tokenizer.decode(tokenizer.encode(surrogate)));
        byte[] truncated = {(byte) 0xF0, (byte) 0x9F, (byte) 0x98, 'a'};
        assertEquals("\uFFFDa", tokenizer.decode(tokenizer.encode(truncated)));
    }

    @Test
    void unknownIdsAreRejectedWithTheVocabularySize() {
        var e = assertThrows(IllegalArgumentException.class, () -> tokenizer.decode(new int[] {tokenizer.vocabularySize()}));
        assertEquals("token id 700 is outside the vocabulary of 700", e.getMessage());
    }

    @Test
    void longPiecesMergeAsShortOnesDo() {
        // Pieces past the short-piece limit take the heap path; a run of words joined without spaces makes one.
        String word = "packages";
        int[] one = tokenizer.encode(word);
        int[] many = tokenizer.encode(word.repeat(40));
        assertTrue(many.length <= 40 * one.length, "long piece: " + many.length + " ids");
        assertEquals(word.repeat(40), tokenizer.decode(many));
    }

    @Test
    void encodesTheSameFromManyThreads() throws Exception {
        List<String> lines = TrainedTokenizers.mixedTextLines();
        List<int[]> expected = lines.stream().map(tokenizer::encode).toList();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                results.add(pool.submit(() -> {
                    for (int round = 0; round < 50; round++) {
                        for (int i = 0; i < lines.size(); i++) {
                            if (!Arrays.equals(expected.get(i), tokenizer.encode(lines.get(i)))) {
                                return false;
                            }
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> result : results) {
                assertTrue(result.get());
            }
        } finally {
            pool.shutdown();
        }
    }
}
