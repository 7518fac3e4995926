package dev.lmforge.activities.cli;

import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.text.TrainedTokenizers;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerCommandTest {

    @TempDir
    Path dir;

    @Test
    void trainsThenEncodesAndDecodes() throws Exception {
        Path text = Files.copy(Path.of("src/test/resources/tokenizer/mixed-text.txt"), dir.resolve("mixed.txt"));
        Path jsonl = Files.writeString(dir.resolve("docs.jsonl"), "{\"text\": \"tokenizers split text into pieces\"}\n");
        Path out = dir.resolve("tok");
        JsonNode trained = new ObjectMapper().readTree(run("train", "--input", text.toString(), jsonl.toString(),
            "--vocab-size", "500", "--out", out.toString(), "--json"));
        assertEquals(500, trained.get("vocab_size").asInt());
        assertEquals(2, trained.get("texts").asInt());
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")));

        String ids = run("encode", "--tokenizer", out.toString(), "--text", "中文 tokenizers 123").trim();
        int[] expected = BpeTokenizer.load(out).encode("中文 tokenizers 123");
        assertArrayEquals(expected, Arrays.stream(ids.split(",")).mapToInt(Integer::parseInt).toArray());
        assertEquals("中文 tokenizers 123\n", run("decode", "--tokenizer", out.toString(), "--ids", ids));

        JsonNode json = new ObjectMapper().readTree(run("encode", "--tokenizer", out.toString(), "--file", jsonl.toString(), "--json"));
        assertEquals(json.get("ids").size(), json.get("count").asInt());
        assertEquals(json.get("ids").size(), json.get("tokens").size());
        assertEquals(Files.readString(jsonl), new ObjectMapper().readTree(run("decode", "--tokenizer", out.toString(),
            "--ids", json.get("ids").toString().replaceAll("[\\[\\]]", ""), "--json")).get("text").asText());
    }

    @Test
    void specialTokensOnlyWhenAsked() throws Exception {
        Path out = dir.resolve("tok");
        BpeTokenizer tokenizer = TrainedTokenizers.mixedTextTokenizer();
        tokenizer.save(out);
        String asked = run("encode", "--tokenizer", out.toString(), "--text", "<|user|>", "--with-special-tokens").trim();
        assertEquals(Integer.toString(tokenizer.specialTokenId("<|user|>")), asked);
        String plain = run("encode", "--tokenizer", out.toString(), "--text", "<|user|>").trim();
        assertTrue(plain.contains(","), plain);
        assertEquals("\n", run("decode", "--tokenizer", out.toString(), "--ids", asked, "--skip-special-tokens"));
    }

    @Test
    void badUsageIsNamed() throws IOException {
        Path empty = Files.writeString(dir.resolve("empty.txt"), "");
        assertEquals("missing --input", usage("train", "--vocab-size", "300", "--out", dir.toString()));
        assertEquals("--input " + dir + " is a directory; name its files", usage("train", "--input", dir.toString(),
            "--vocab-size", "300", "--out", dir.toString()));
        assertEquals("give exactly one of --text or --file", usage("encode", "--tokenizer", saved().toString()));
        assertEquals("--ids: 'x' is not a token id", usage("decode", "--tokenizer", saved().toString(), "--ids", "1,x"));
        assertEquals("unknown action 'fit'; expected train, encode or decode", usage("fit"));
        var e = assertThrows(IllegalStateException.class, () -> run("train", "--input", empty.toString(),
            "--vocab-size", "300", "--out", dir.resolve("o").toString()));
        assertEquals("no training text: the input is empty (" + empty + ")", e.getMessage());
    }

    private Path saved() throws IOException {
        return TrainedTokenizers.mixedTextTokenizer().save(dir.resolve("saved"));
    }

    private String usage(String... words) {
        return assertThrows(Args.UsageException.class, () -> run(words)).getMessage();
    }

    private static String run(String... words) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new TokenizerCommand().run(Args.parse(List.of(words)), new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }
}
