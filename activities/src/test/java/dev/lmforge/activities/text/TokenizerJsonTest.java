package dev.lmforge.activities.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerJsonTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final BpeTokenizer tokenizer = TrainedTokenizers.mixedTextTokenizer();

    @Test
    void readsBackWhatItWrites() throws IOException {
        BpeTokenizer loaded = BpeTokenizer.load(tokenizer.save(dir));
        assertEquals(tokenizer.vocabularySize(), loaded.vocabularySize());
        assertEquals(tokenizer.specialTokens(), loaded.specialTokens());
        for (int id = 0; id < tokenizer.vocabularySize(); id++) {
            assertArrayEquals(tokenizer.tokenBytes(id), loaded.tokenBytes(id));
        }
        for (String line : TrainedTokenizers.mixedTextLines()) {
            assertArrayEquals(tokenizer.encode(line), loaded.encode(line));
        }
        assertArrayEquals(tokenizer.encode("x"), BpeTokenizer.load(dir).encode("x"), "a directory loads its tokenizer.json");
    }

    @Test
    void acceptsMergesWrittenAsPairs() throws IOException {
        Path file = edited(root -> {
            ArrayNode merges = (ArrayNode) root.path("model").path("merges");
            for (int i = 0; i < merges.size(); i++) {
                String[] parts = merges.get(i).asText().split(" ");
                merges.set(i, JSON.createArrayNode().add(parts[0]).add(parts[1]));
            }
        });
        assertArrayEquals(tokenizer.encode(TrainedTokenizers.mixedText()), BpeTokenizer.load(file).encode(TrainedTokenizers.mixedText()));
    }

    @Test
    void truncatedFileIsNotValidJson() throws IOException {
        Path file = tokenizer.save(dir);
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertRejected(file, file + ": not valid JSON at column ");
    }

    @Test
    void foreignPreTokenizerIsUnsupported() throws IOException {
        Path file = edited(root -> root.putObject("pre_tokenizer").put("type", "ByteLevel").put("use_regex", true));
        assertRejected(file, file + ": pre_tokenizer: unsupported: lmforge runs only its own DeepSeek-style rules");
    }

    @Test
    void mergeOfAnUnknownTokenIsNamed() throws IOException {
        Path file = edited(root -> ((ArrayNode) root.path("model").path("merges")).insert(0, "Ġ zzzzz"));
        assertRejected(file, file + ": model.merges[0]: token 'zzzzz' is not in model.vocab");
    }

    @Test
    void tokenOutsideTheByteLevelAlphabetIsNamed() throws IOException {
        Path file = edited(root -> {
            ObjectNode vocab = (ObjectNode) root.path("model").path("vocab");
            String last = vocab.properties().stream().reduce((a, b) -> b).orElseThrow().getKey();
            vocab.put("a b", vocab.remove(last).asInt());
        });
        assertRejected(file, file + ": model.vocab['a b']: holds a character outside the byte-level alphabet");
    }

    @Test
    void gapsInTheIdsAreNamed() throws IOException {
        Path file = edited(root -> ((ObjectNode) root.path("model").path("vocab")).put("Ġ", 100_000));
        assertRejected(file, file + ": model.vocab['Ġ']: id 100000 is outside 0..699; ids must be dense");
    }

    @Test
    void missingModelIsNamed() throws IOException {
        Path file = edited(root -> root.remove("model"));
        assertRejected(file, file + ": model: must be a JSON object");
    }

    @Test
    void nonSpecialAddedTokensAreUnsupported() throws IOException {
        Path file = edited(root -> ((ObjectNode) root.path("added_tokens").get(2)).put("special", false));
        assertRejected(file, file + ": added_tokens[2]: '<|pad|>' is not special; lmforge supports only special added tokens");
    }

    @Test
    void postProcessorIsUnsupported() throws IOException {
        Path file = edited(root -> root.putObject("post_processor").put("type", "TemplateProcessing"));
        assertRejected(file, file + ": post_processor: unsupported: lmforge expects none, found {\"type\":\"TemplateProcessing\"}");
    }

    private Path edited(Consumer<ObjectNode> edit) throws IOException {
        Path file = tokenizer.save(dir);
        ObjectNode root = (ObjectNode) JSON.readTree(file.toFile());
        edit.accept(root);
        JSON.writeValue(file.toFile(), root);
        return file;
    }

    private static void assertRejected(Path file, String messageStart) {
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> BpeTokenizer.load(file));
        assertEquals(messageStart, e.getMessage().substring(0, Math.min(e.getMessage().length(), messageStart.length())), e.getMessage());
    }
}
