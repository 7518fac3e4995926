package dev.lmforge.activities.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lmforge.activities.alignment.AlignmentData;
import dev.lmforge.activities.alignment.ChatMessage;
import dev.lmforge.activities.alignment.ChatRole;
import dev.lmforge.activities.alignment.ChatTemplate;
import dev.lmforge.activities.alignment.SftExample;
import dev.lmforge.activities.model.ComputePrecision;
import dev.lmforge.activities.model.DecoderTrainer;
import dev.lmforge.activities.model.ModelArchive;
import dev.lmforge.activities.model.ModelShape;
import dev.lmforge.activities.model.OptimizerSettings;
import dev.lmforge.activities.model.TrainingSetup;
import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.tokenizer.BpeTrainer;
import dev.lmforge.services.PinnedPython;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Hugging Face export checked by the real clients: a model trained here on the sample corpus, stored as the
 * stages store it, exported with {@code lmforge model export}, then loaded by transformers'
 * {@code AutoModelForCausalLM} and {@code AutoTokenizer} (PyTorch on the CPU) and the {@code tokenizers} library
 * in {@code src/test/python/check_hf_export.py}: per-position log-probabilities agree with {@code lmforge model
 * score} within 1e-4, greedy generations of 32 tokens are identical to {@code lmforge model generate},
 * {@code apply_chat_template} renders exactly the ids SFT trains on, and {@code tokenizers} gives lmforge's ids on
 * the corpus and on adversarial strings. The bfloat16 export loads too and scores within 0.1 nats.
 *
 * <p>The Python environment comes from {@code src/test/python/hf-venv.sh} (pinned, installed once per machine;
 * {@code LMFORGE_HF_PYTHON} names another python). If it cannot be had the test fails; only
 * {@code LMFORGE_HF_CHECKS=skip} skips it, for a machine without PyPI.
 */
class HfExportCompatibilityTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path CORPUS = Path.of("../samples/corpus/dump-2024-01.jsonl");
    private static final int MAX_TOKENS = 32;

    /** Strings tokenizers get wrong most often: spacing, line ends, scripts, marks, emoji, digits, specials. */
    static final List<String> ADVERSARIAL = List.of(
            "", " ", "  ", "\t", "\n", "\r\n", "\r\r\n\n", " \n \n", "a  b   c", "   leading", "trailing   ",
            "12345", "3.14159", "1,000,000", "v2.0-rc1", "x²+y³", "½ ⅓ Ⅻ", "٣٤٥ ١٢",
            "can't won't y'all", "\"quoted\" 'single'", "...!!!???", "a--b__c", "#include <stdio.h>",
            "def f(x):\n\treturn x**2\n", "{\"k\": [1, 2]}", "https://example.org/a?b=c&d=e",
            "naïve café", "nai\u0308ve cafe\u0301", "Ünïcödé", "straße", "İstanbul", "ﬁﬂ",
            "中文分词测试", "日本語のテキスト、カタカナ・ひらがな", "한국어 텍스트", "mixed中文and English",
            "Привет, мир!", "Γειά σου κόσμε", "שלום עולם", "مرحبا بالعالم", "नमस्ते दुनिया", "สวัสดีชาวโลก",
            "😀", "👨‍👩‍👧‍👦", "🏳️‍🌈", "❤️", "a😀b", "\u200b\u200d\ufeff", "\u00a0nbsp\u00a0",
            "\u0000nul\u0001ctl\u007f", "\u2028line\u2029para", "tab\tsep\tvalues",
            "<|bos|>", "text<|eos|>more", "<|user|>hi<|assistant|>", "<|eos", "|>", "<|unknown|>",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "the the the the the the", "The THE tHe");

    @TempDir
    Path dir;

    @Test
    void transformersAndTokenizersReadTheExportAsLmforgeComputesIt() throws Exception {
        Path python = python();
        List<String> documents = documents();
        List<SftExample> sft = AlignmentData.bundledSft();
        BpeTokenizer tokenizer = tokenizer(documents, sft);
        Path zip = ModelZips.trainAndStore(tokenizer, documents, dir, 40);

        Path hf = dir.resolve("hf");
        assertEquals(0, cli("model", "export", zip.toString(), "--format", "hf", "--out", hf.toString()).code());
        Path bf16 = dir.resolve("hf-bf16");
        assertEquals(0, cli("model", "export", zip.toString(), "--format", "hf", "--dtype", "bf16", "--out",
                bf16.toString()).code());

        ObjectNode cases = JSON.createObjectNode();
        ArrayNode score = cases.putArray("score");
        for (String text : List.of(documents.get(0).substring(0, 200), documents.get(3).substring(0, 150),
                "Hello, world! 中文 12345", "<|eos|> is plain text here")) {
            JsonNode scored = JSON.readTree(cli("model", "score", "--model", zip.toString(), "--text", text,
                    "--json").out());
            // The exported folder, read back by lmforge, scores the same.
            JsonNode again = JSON.readTree(cli("model", "score", "--model", hf.toString(), "--text", text,
                    "--json").out());
            assertEquals(scored.get("ids"), again.get("ids"));
            assertEquals(scored.get("total").asDouble(), again.get("total").asDouble(), 1e-4);
            score.addObject().put("text", text).<ObjectNode>set("ids", scored.get("ids"))
                    .set("logProbabilities", scored.get("logProbabilities"));
        }
        ArrayNode generate = cases.putArray("generate");
        for (String prompt : List.of(documents.get(1).substring(0, 40), documents.get(7).substring(0, 60),
                "The network")) {
            JsonNode generated = JSON.readTree(cli("model", "generate", "--model", zip.toString(), "--prompt", prompt,
                    "--max-tokens", String.valueOf(MAX_TOKENS), "--json").out());
            generate.addObject().put("prompt", prompt).put("maxTokens", MAX_TOKENS)
                    .<ObjectNode>set("promptIds", generated.get("promptIds")).set("ids", generated.get("ids"));
        }
        ChatTemplate template = new ChatTemplate(tokenizer);
        ArrayNode chat = cases.putArray("chat");
        for (SftExample example : sft) {
            chat.addObject().<ObjectNode>set("messages", messages(example.messages()))
                    .set("ids", ids(template.encode(example).tokens()));
        }
        SftExample spelled = new SftExample("adversarial", List.of(
                new ChatMessage(ChatRole.USER, "say <|eos|> please"),
                new ChatMessage(ChatRole.ASSISTANT, "<|eos|>")), false);
        chat.addObject().put("contentSpellsSpecialToken", true).<ObjectNode>set("messages",
                messages(spelled.messages())).set("ids", ids(template.encode(spelled).tokens()));
        ArrayNode chatPrompts = cases.putArray("chatPrompts");
        for (String question : List.of("What is 2+3?", "Name a colour.")) {
            chatPrompts.addObject().<ObjectNode>set("messages", messages(List.of(
                    new ChatMessage(ChatRole.USER, question))))
                    .set("ids", ids(template.prompt(question)));
        }
        ArrayNode encode = cases.putArray("encode");
        List<String> texts = new ArrayList<>(documents);
        texts.addAll(ADVERSARIAL);
        for (String text : texts) {
            encode.addObject().put("text", text).set("ids", ids(tokenizer.encodeWithSpecialTokens(text)));
        }
        Path casesFile = dir.resolve("cases.json");
        JSON.writeValue(casesFile.toFile(), cases);

        Path reportFile = dir.resolve("report.json");
        Process check = new ProcessBuilder(python.toString(), "src/test/python/check_hf_export.py", hf.toString(),
                casesFile.toString(), reportFile.toString(), bf16.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("check.log").toFile()).start();
        if (!check.waitFor(10, TimeUnit.MINUTES)) {
            check.destroyForcibly();
            fail("check_hf_export.py did not finish in 10 minutes");
        }
        assertEquals(0, check.exitValue(), () -> "check_hf_export.py failed:\n" + PinnedPython.tail(dir.resolve("check.log")));
        JsonNode report = JSON.readTree(reportFile.toFile());
        System.out.println("HF export check: " + JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report));

        assertEquals("LlamaForCausalLM", report.path("modelClass").asText());
        assertTrue(report.path("score").path("positions").asInt() > 100);
        assertTrue(report.path("score").path("maxAbsDifference").asDouble() < 1e-4, report.toString());
        assertEquals(0, report.path("score").path("autoTokenizerMismatches").size(), report.toString());
        assertEquals(3, report.path("generate").path("prompts").asInt());
        assertTrue(report.path("generate").path("tokens").asInt() >= 2 * MAX_TOKENS, report.toString());
        assertEquals(0, report.path("generate").path("mismatches").size(), report.toString());
        assertEquals(sft.size() + 2, report.path("chat").path("conversations").asInt());
        assertEquals(0, report.path("chat").path("mismatches").size(), report.toString());
        // The documented difference: content spelling a special token is plain text to lmforge, a token to
        // transformers' chat template.
        assertEquals(false, report.path("chat").path("specialInContent").get(0).path("same").asBoolean(true));
        assertEquals("[\"torch.bfloat16\"]", report.path("bf16").path("storedDtypes").toString());
        // bfloat16 keeps 8 bits of mantissa: the scores move, a little.
        assertTrue(report.path("bf16").path("maxAbsDifference").asDouble() < 0.1, report.toString());
        assertEquals(texts.size(), report.path("encode").path("texts").asInt());
        assertEquals(0, report.path("encode").path("mismatches").size(), report.toString());
    }

    /** The sample corpus's documents. */
    private static List<String> documents() throws IOException {
        List<String> documents = new ArrayList<>();
        for (String line : Files.readAllLines(CORPUS, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                documents.add(JSON.readTree(line).path("text").asText());
            }
        }
        return documents;
    }

    private static BpeTokenizer tokenizer(List<String> documents, List<SftExample> sft) {
        BpeTrainer trainer = new BpeTrainer(256 + BpeTrainer.DEFAULT_SPECIAL_TOKENS.size() + 700);
        documents.stream().limit(200).forEach(trainer::addText);
        sft.forEach(e -> e.messages().forEach(m -> trainer.addText(m.content())));
        return trainer.train();
    }

    private static ArrayNode messages(List<ChatMessage> messages) {
        ArrayNode array = JSON.createArrayNode();
        messages.forEach(m -> array.addObject().put("role", m.role().jsonName()).put("content", m.content()));
        return array;
    }

    private static ArrayNode ids(int[] ids) {
        ArrayNode array = JSON.createArrayNode();
        for (int id : ids) {
            array.add(id);
        }
        return array;
    }

    private record Result(int code, String out) {
    }

    private static Result cli(String... words) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = LmforgeCli.standard().run(List.of(words), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, code, () -> String.join(" ", words) + ": " + err.toString(StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8));
    }

    /** The checking python: LMFORGE_HF_PYTHON, else the pinned environment hf-venv.sh installs. */
    private static Path python() throws Exception {
        return PinnedPython.resolve("LMFORGE_HF_PYTHON", "LMFORGE_HF_CHECKS", Path.of("src/test/python/hf-venv.sh"));
    }
}
