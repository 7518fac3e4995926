package dev.lmforge.activities.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.tokenizer.BpeTrainer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lmforge model}: bad options exit 2 naming the option; sampling is seeded; chat prompts use the template. */
class ModelCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    private static Path zip;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeAll
    static void model() throws Exception {
        BpeTrainer trainer = new BpeTrainer(256 + BpeTrainer.DEFAULT_SPECIAL_TOKENS.size() + 40);
        trainer.addText("the cat sat on the mat. ".repeat(50));
        BpeTokenizer tokenizer = trainer.train();
        zip = ModelZips.trainAndStore(tokenizer, List.of("the cat sat on the mat. ".repeat(40)), dir, 5);
    }

    private int run(String... words) {
        out.reset();
        err.reset();
        return LmforgeCli.standard().run(List.of(words), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String errors() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void badOptionsExit2NamingTheOption() throws Exception {
        String m = zip.toString();
        assertEquals(2, run("model", "export", m, "--format", "onnx", "--out", dir.resolve("x").toString()));
        assertTrue(errors().contains("--format"), errors());
        assertEquals(2, run("model", "export", m, "--format", "hf", "--dtype", "fp16", "--out", dir.resolve("x").toString()));
        assertTrue(errors().contains("--dtype"), errors());
        Files.createDirectories(dir.resolve("full"));
        Files.writeString(dir.resolve("full").resolve("keep.txt"), "mine");
        assertEquals(2, run("model", "export", m, "--format", "hf", "--out", dir.resolve("full").toString()));
        assertTrue(errors().contains("--out"), errors());
        assertEquals(2, run("model", "generate", "--model", m, "--prompt", "the", "--max-tokens", "1000"));
        assertTrue(errors().contains("--max-tokens"), errors());
        assertEquals(2, run("model", "generate", "--model", m, "--prompt", "the cat ".repeat(400), "--max-tokens", "8"));
        assertTrue(errors().contains("--prompt"), errors());
        assertEquals(2, run("model", "generate", "--model", m, "--prompt", "the", "--max-tokens", "4",
                "--temperature", "NaN"));
        assertTrue(errors().contains("--temperature"), errors());
        assertEquals(2, run("model", "generate", "--model", m, "--prompt", "the", "--max-tokens", "4",
                "--temperature", "1", "--top-p", "0"));
        assertTrue(errors().contains("--top-p"), errors());
        assertEquals(2, run("model", "score", "--model", m, "--text", ""));
        assertTrue(errors().contains("--text"), errors());
        assertEquals(2, run("model", "score", "--model", "/no/such/model", "--text", "the"));
        assertTrue(errors().contains("MODEL"), errors());
    }

    @Test
    void samplingIsSeededAndChatPromptsEndWithTheAssistantToken() throws Exception {
        String[] sample = {"model", "generate", "--model", zip.toString(), "--prompt", "the cat", "--chat",
                "--max-tokens", "12", "--temperature", "1.5", "--top-p", "0.9", "--seed", "7", "--json"};
        assertEquals(0, run(sample), errors());
        JsonNode first = JSON.readTree(out.toString(StandardCharsets.UTF_8));
        assertEquals(0, run(sample), errors());
        assertEquals(first.get("ids"), JSON.readTree(out.toString(StandardCharsets.UTF_8)).get("ids"));
        JsonNode prompt = first.get("promptIds");
        // <|bos|> <|user|> ... <|assistant|>: the ids of BpeTrainer.DEFAULT_SPECIAL_TOKENS 0, 4 and 5.
        assertEquals(0, prompt.get(0).asInt());
        assertEquals(4, prompt.get(1).asInt());
        assertEquals(5, prompt.get(prompt.size() - 1).asInt());
    }
}
