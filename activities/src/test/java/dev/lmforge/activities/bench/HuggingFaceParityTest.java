package dev.lmforge.activities.bench;

import dev.lmforge.activities.text.Adversarial;
import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.text.CorpusReader;
import dev.lmforge.activities.text.PreTokenizerTest;
import dev.lmforge.activities.text.RandomText;
import dev.lmforge.activities.text.TrainedTokenizers;
import dev.lmforge.activities.tokenizer.BpeTrainer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
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

/**
 * Exports lmforge tokenizers and checks that Hugging Face tokenizers (Rust, through its Python binding, installed
 * pinned by {@link PythonPeers}) agrees on every id and decoded text.
 */
class HuggingFaceParityTest {

    private static final Path SAMPLE_CORPUS = Path.of("..", "samples", "corpus");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void sameIdsAndTextOnSampleLinesAdversarialStringsAndRandomUnicode() throws Exception {
        BpeTokenizer ours = TrainedTokenizers.mixedTextTokenizer();
        List<String> texts = new ArrayList<>(TrainedTokenizers.mixedTextLines());
        texts.add(TrainedTokenizers.mixedText());
        texts.addAll(Adversarial.strings());
        Random random = new Random(3);
        for (int i = 0; i < 500; i++) {
            texts.add(RandomText.unicode(random, 40));
        }
        assertSameEncoding(ours, texts);
    }

    @Test
    void sameDecodedTextForInvalidUtf8() throws Exception {
        BpeTokenizer ours = TrainedTokenizers.mixedTextTokenizer();
        Random random = new Random(4);
        List<byte[]> inputs = new ArrayList<>(List.of(
            new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
            new byte[] {(byte) 0xF0, (byte) 0x9F, (byte) 0x98, 'a'},
            new byte[] {(byte) 0xC0, (byte) 0xAF, (byte) 0xE0, (byte) 0x80, (byte) 0xBF},
            new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80, (byte) 0xFF}));
        for (int i = 0; i < 300; i++) {
            inputs.add(RandomText.bytes(random, 12));
        }
        List<Map<String, Object>> asked = inputs.stream().<Map<String, Object>>map(b -> Map.of("ids", ours.encode(b))).toList();
        List<JsonNode> answers = peer(ours, asked);
        for (int i = 0; i < inputs.size(); i++) {
            int n = i;
            assertEquals(answers.get(i).get("decoded").asText(), ours.decode(ours.encode(inputs.get(i))),
                () -> Arrays.toString(inputs.get(n)));
        }
    }

    @Test
    void specialTokensMatchWhereHuggingFaceRecognisesThem() throws Exception {
        BpeTokenizer ours = TrainedTokenizers.mixedTextTokenizer();
        String chat = "<|system|>Be brief.<|user|>中文 text 42?<|assistant|>OK.<|eos|>";
        int[] ids = ours.encodeWithSpecialTokens(chat);
        JsonNode answer = peer(ours, List.of(Map.of("text", chat))).get(0);
        assertArrayEquals(ints(answer.get("ids")), ids);
        assertEquals(answer.get("decoded").asText(), ours.decode(ids));
        assertEquals(answer.get("decodedSkippingSpecial").asText(), ours.decode(ids, true));
    }

    @Test
    void sameIdsOnTheWholeSampleCorpus() throws Exception {
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
        assertSameEncoding(ours, documents);
    }

    /** The peer's answer to each input: {"text": ...} to encode and decode, or {"ids": [...]} to decode. */
    private List<JsonNode> peer(BpeTokenizer ours, List<Map<String, Object>> inputs) throws Exception {
        Path tokenizer = ours.save(Files.createDirectories(dir.resolve("tokenizer")));
        Path in = dir.resolve("inputs.jsonl");
        try (BufferedWriter w = Files.newBufferedWriter(in)) {
            for (Map<String, Object> input : inputs) {
                w.write(JSON.writeValueAsString(input));
                w.newLine();
            }
        }
        Path out = dir.resolve("answers.jsonl");
        PythonPeers.prepare(System.err).run("hf_tokenizers_peer.py", List.of("parity", "--tokenizer", tokenizer.toString(),
            "--inputs", in.toString(), "--out", out.toString()), Map.of(), 10);
        List<JsonNode> answers = new ArrayList<>();
        for (String line : Files.readAllLines(out)) {
            answers.add(JSON.readTree(line));
        }
        assertEquals(inputs.size(), answers.size());
        return answers;
    }

    private void assertSameEncoding(BpeTokenizer ours, List<String> texts) throws Exception {
        List<JsonNode> answers = peer(ours, texts.stream().<Map<String, Object>>map(t -> Map.of("text", t)).toList());
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            // Hugging Face always turns special token content into special tokens; lmforge only when asked.
            int[] ids = ours.encodeWithSpecialTokens(text);
            if (ours.specialTokens().keySet().stream().noneMatch(text::contains)) {
                assertArrayEquals(ids, ours.encode(text));
            }
            assertArrayEquals(ints(answers.get(i).get("ids")), ids, () -> "ids differ for " + shortened(text));
            assertEquals(answers.get(i).get("decoded").asText(), ours.decode(ids), () -> "text differs for " + shortened(text));
            assertEquals(text, ours.decode(ids));
        }
    }

    private static int[] ints(JsonNode array) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = array.get(i).asInt();
        }
        return ids;
    }

    private static String shortened(String text) {
        String escaped = PreTokenizerTest.escape(text);
        return escaped.length() > 300 ? escaped.substring(0, 300) + "..." : escaped;
    }
}
