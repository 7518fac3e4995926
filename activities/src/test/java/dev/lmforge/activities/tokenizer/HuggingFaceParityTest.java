package dev.lmforge.activities.tokenizer;

import dev.lmforge.activities.text.Adversarial;
import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.text.CorpusReader;
import dev.lmforge.activities.text.PreTokenizerTest;
import dev.lmforge.activities.text.RandomText;
import dev.lmforge.activities.text.TrainedTokenizers;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exports lmforge tokenizers and checks the Hugging Face tokenizers library (Rust, via DJL) agrees on every id. */
class HuggingFaceParityTest {

    private static final Path SAMPLE_CORPUS = Path.of("..", "samples", "corpus");

    @TempDir
    Path dir;

    @Test
    void sameIdsAndTextOnSampleLinesAdversarialStringsAndRandomUnicode() throws IOException {
        BpeTokenizer ours = TrainedTokenizers.mixedTextTokenizer();
        List<String> texts = new ArrayList<>(TrainedTokenizers.mixedTextLines());
        texts.add(TrainedTokenizers.mixedText());
        texts.addAll(Adversarial.strings());
        Random random = new Random(3);
        for (int i = 0; i < 500; i++) {
            texts.add(RandomText.unicode(random, 40));
        }
        try (HuggingFaceTokenizer theirs = export(ours)) {
            assertSameEncoding(ours, theirs, texts);
        }
    }

    @Test
    void sameDecodedTextForInvalidUtf8() throws IOException {
        BpeTokenizer ours = TrainedTokenizers.mixedTextTokenizer();
        try (HuggingFaceTokenizer theirs = export(ours)) {
            Random random = new Random(4);
            List<byte[]> inputs = new ArrayList<>(List.of(
                new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                new byte[] {(byte) 0xF0, (byte) 0x9F, (byte) 0x98, 'a'},
                new byte[] {(byte) 0xC0, (byte) 0xAF, (byte) 0xE0, (byte) 0x80, (byte) 0xBF},
                new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80, (byte) 0xFF}));
            for (int i = 0; i < 300; i++) {
                inputs.add(RandomText.bytes(random, 12));
            }
            for (byte[] input : inputs) {
                int[] ids = ours.encode(input);
                assertEquals(theirs.decode(longs(ids), false), ours.decode(ids), () -> Arrays.toString(input));
            }
        }
    }

    @Test
    void specialTokensMatchWhereHuggingFaceRecognisesThem() throws IOException {
        BpeTokenizer ours = TrainedTokenizers.mixedTextTokenizer();
        try (HuggingFaceTokenizer theirs = export(ours)) {
            String chat = "<|system|>Be brief.<|user|>中文 text 42?<|assistant|>OK.<|eos|>";
            int[] ids = ours.encodeWithSpecialTokens(chat);
            assertArrayEquals(theirs.encode(chat, false, false).getIds(), longs(ids));
            assertEquals(theirs.decode(longs(ids), false), ours.decode(ids));
            assertEquals(theirs.decode(longs(ids), true), ours.decode(ids, true));
        }
    }

    @Test
    void sameIdsOnTheWholeSampleCorpus() throws IOException {
        assumeTrue(Files.isDirectory(SAMPLE_CORPUS), "the lead's sample corpus is not in this checkout");
        List<Path> dumps;
        try (Stream<Path> files = Files.list(SAMPLE_CORPUS)) {
            dumps = files.filter(f -> f.getFileName().toString().startsWith("dump-")).sorted().toList();
        }
        BpeTrainer trainer = new BpeTrainer(8000);
        CorpusReader.readText(dumps.get(0), (text, ends) -> trainer.addText(text));
        BpeTokenizer ours = trainer.train();
        List<String> documents = new ArrayList<>();
        for (Path dump : dumps) {
            CorpusReader.readText(dump, (text, ends) -> documents.add(text));
        }
        assertTrue(documents.size() > 100, documents.size() + " documents");
        try (HuggingFaceTokenizer theirs = export(ours)) {
            assertSameEncoding(ours, theirs, documents);
        }
    }

    private HuggingFaceTokenizer export(BpeTokenizer tokenizer) throws IOException {
        Path file = tokenizer.save(dir);
        // DJL truncates to 512 ids unless told otherwise.
        return HuggingFaceTokenizer.newInstance(file, Map.of("truncation", "false", "padding", "false"));
    }

    private static void assertSameEncoding(BpeTokenizer ours, HuggingFaceTokenizer theirs, List<String> texts) {
        Encoding[] encodings = theirs.batchEncode(texts, false, false);
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            // Hugging Face always turns special token content into special tokens; lmforge only when asked.
            int[] ids = ours.encodeWithSpecialTokens(text);
            if (ours.specialTokens().keySet().stream().noneMatch(text::contains)) {
                assertArrayEquals(ids, ours.encode(text));
            }
            long[] expected = encodings[i].getIds();
            assertArrayEquals(expected, longs(ids), () -> "ids differ for " + shortened(text));
            assertEquals(theirs.decode(expected, false), ours.decode(ids), () -> "text differs for " + shortened(text));
            assertEquals(text, ours.decode(ids));
        }
    }

    private static String shortened(String text) {
        String escaped = PreTokenizerTest.escape(text);
        return escaped.length() > 300 ? escaped.substring(0, 300) + "..." : escaped;
    }

    private static long[] longs(int[] ids) {
        return Arrays.stream(ids).asLongStream().toArray();
    }
}
