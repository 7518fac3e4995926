package dev.lmforge.activities.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.tokenizer.BpeTrainer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Hugging Face folder read back by lmforge's own reader; transformers reads it in HfExportCompatibilityTest. */
class HfExporterTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static BpeTokenizer tokenizer(int vocab) {
        BpeTrainer trainer = new BpeTrainer(vocab);
        trainer.addText("the cat sat on the mat, the dog sat on the log. ".repeat(20));
        return trainer.train();
    }

    @Test
    void exportedFolderScoresExactlyAsTheCheckpointAndBf16Nearly(@TempDir Path dir) throws IOException {
        BpeTokenizer tokenizer = tokenizer(300);
        ModelShape shape = new ModelShape(2, 32, 4, 2, 16, tokenizer.vocabularySize());
        TrainingSetup setup = new TrainingSetup(shape, OptimizerSettings.paper(), 2, 1, ComputePrecision.FLOAT32,
                5, 1, null);
        int[] rows = new int[2 * 17];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = (i * 7 + 3) % shape.vocab();
        }
        try (DecoderTrainer trainer = new DecoderTrainer(setup)) {
            trainer.step(rows, null, 1e-2);
            ModelArchive.writeServingForms(trainer, tokenizer, dir.resolve("model"));
        }
        Path hf = dir.resolve("model").resolve(ModelArchive.HF_FOLDER);
        JsonNode config = JSON.readTree(hf.resolve(HfLlamaConfig.FILE_NAME).toFile());
        assertEquals("LlamaForCausalLM", config.path("architectures").get(0).asText());
        assertEquals(shape.ffnHidden(), config.path("intermediate_size").asInt());
        assertEquals(1e-6, config.path("rms_norm_eps").asDouble());
        assertEquals(tokenizer.specialTokenId("<|eos|>"), config.path("eos_token_id").asInt());
        JsonNode tokenizerConfig = JSON.readTree(hf.resolve(HfTokenizerConfig.FILE_NAME).toFile());
        assertEquals(HfTokenizerConfig.CHAT_TEMPLATE, tokenizerConfig.path("chat_template").asText());

        int[][] scored = {Arrays.copyOf(rows, 17)};
        float[] expected;
        try (DecoderLanguageModel original = new DecoderLanguageModel(setup,
                dir.resolve("model").resolve(ModelArchive.SAVED_MODEL).resolve("variables"))) {
            expected = original.tokenLogProbabilities(scored)[0];
            HfExporter.export(original, tokenizer, SafetensorsDtype.BF16, dir.resolve("bf16"));
        }
        try (DecoderLanguageModel reloaded = HfExporter.load(hf, 1)) {
            assertArrayEquals(expected, reloaded.tokenLogProbabilities(scored)[0], 1e-6f);
        }
        try (DecoderLanguageModel bf16 = HfExporter.load(dir.resolve("bf16"), 1)) {
            assertArrayEquals(expected, bf16.tokenLogProbabilities(scored)[0], 0.05f);
        }
        assertTrue(Files.size(dir.resolve("bf16").resolve(HfExporter.WEIGHTS_FILE))
                < 0.51 * Files.size(hf.resolve(HfExporter.WEIGHTS_FILE)) + 4096);
    }

    @Test
    void safetensorsHeaderIsLittleEndianJsonPaddedToEightBytes(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("t.safetensors");
        try (SafetensorsWriter writer = new SafetensorsWriter(file, SafetensorsDtype.BF16)) {
            writer.declare("a", 2, 3);
            writer.declare("b", 1);
            writer.write("a", new float[] {1, -2, 0.5f, 3.140625f, 1e30f, -0f});
            writer.write("b", new float[] {Float.NaN});
        }
        byte[] bytes = Files.readAllBytes(file);
        long headerBytes = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerBytes % 8);
        assertEquals(8 + headerBytes + 7 * 2, bytes.length);
        JsonNode header = JSON.readTree(new String(bytes, 8, (int) headerBytes, java.nio.charset.StandardCharsets.UTF_8));
        assertEquals("BF16", header.path("a").path("dtype").asText());
        assertEquals("[0,12]", header.path("a").path("data_offsets").toString());
        assertEquals("[12,14]", header.path("b").path("data_offsets").toString());
        try (SafetensorsReader reader = new SafetensorsReader(file)) {
            float[] a = reader.read("a");
            assertArrayEquals(new float[] {1, -2, 0.5f, 3.140625f}, Arrays.copyOf(a, 4));
            assertEquals(1e30f, a[4], 1e30f / 128);
            assertTrue(Float.isNaN(reader.read("b")[0]));
        }
    }

    @Test
    void hostileSafetensorsAndConfigsAreRefusedNamingTheField(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bad.safetensors");
        byte[] header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,400]}}".getBytes();
        ByteBuffer bytes = ByteBuffer.allocate(8 + header.length + 16).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putLong(header.length).put(header);
        Files.write(file, bytes.array());
        assertTrue(assertThrows(InvalidInputException.class, () -> new SafetensorsReader(file)).getMessage()
                .contains("tensor w: data_offsets"));
        ByteBuffer huge = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE);
        Files.write(file, huge.array());
        assertTrue(assertThrows(InvalidInputException.class, () -> new SafetensorsReader(file)).getMessage()
                .contains("header length"));

        Files.writeString(dir.resolve(HfLlamaConfig.FILE_NAME), "{\"model_type\":\"llama\",\"hidden_act\":\"silu\","
                + "\"tie_word_embeddings\":false,\"rms_norm_eps\":1e-5,\"rope_theta\":10000}");
        assertTrue(assertThrows(InvalidInputException.class, () -> HfLlamaConfig.read(dir)).getMessage()
                .contains("rms_norm_eps"));
    }
}
