package dev.lmforge.activities.cli;

import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.text.ByteLevelAlphabet;
import dev.lmforge.activities.text.CorpusReader;
import dev.lmforge.activities.tokenizer.BpeTrainer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * {@code lmforge tokenizer}: trains a byte-level BPE tokenizer offline, and encodes or decodes with one.
 * <pre>
 * tokenizer train --input PATH... --vocab-size N --out DIR [--special-tokens A,B,...] [--json]
 * tokenizer encode --tokenizer DIR [--text T | --file F] [--with-special-tokens] [--json]
 * tokenizer decode --tokenizer DIR --ids 1,2,3 [--skip-special-tokens] [--json]
 * </pre>
 * Inputs are JSONL with a {@code "text"} field or plain text, optionally {@code .gz} or {@code .zst}
 * ({@link CorpusReader#readText}). {@code DIR} holds {@code tokenizer.json}.
 */
public final class TokenizerCommand implements Command {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String name() {
        return "tokenizer";
    }

    @Override
    public String summary() {
        return "train a byte-level BPE tokenizer (train), encode or decode with one";
    }

    @Override
    public Help help() {
        return Help.of("Trains a byte-level BPE tokenizer offline, or encodes or decodes with one (DIR holds "
                + "tokenizer.json). Inputs are JSONL with a \"text\" field or plain text, optionally .gz or .zst.")
                .usage("tokenizer train --input PATH... --vocab-size N --out DIR [--special-tokens A,B,...] [--json]")
                .usage("tokenizer encode --tokenizer DIR (--text T | --file F) [--with-special-tokens] [--json]")
                .usage("tokenizer decode --tokenizer DIR --ids 1,2,3 [--skip-special-tokens] [--json]")
                .option("--input PATH", "train: a corpus file (repeatable)")
                .option("--vocab-size N", "train: the vocabulary size")
                .option("--out DIR", "train: where tokenizer.json goes")
                .option("--special-tokens A,B", "train: special tokens to reserve")
                .option("--tokenizer DIR", "encode, decode: the tokenizer's folder")
                .option("--text T | --file F", "encode: the text, or a file of it")
                .option("--with-special-tokens", "encode: recognise special tokens in the text")
                .option("--ids 1,2,3", "decode: token ids")
                .option("--skip-special-tokens", "decode: leave special tokens out")
                .option("--json", "print the result as JSON")
                .example("lmforge tokenizer train --input samples/corpus/2024-01.jsonl --vocab-size 4096 --out /tmp/tok")
                .example("lmforge tokenizer encode --tokenizer /tmp/tok --text 'hello world'");
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        String action = args.positional(0, "action: train, encode or decode");
        return switch (action) {
            case "train" -> train(args.allowOnly("input", "vocab-size", "out", "special-tokens", "json"), out);
            case "encode" -> encode(args.allowOnly("tokenizer", "text", "file", "with-special-tokens", "json"), out);
            case "decode" -> decode(args.allowOnly("tokenizer", "ids", "skip-special-tokens", "json"), out);
            default -> throw new Args.UsageException("unknown action '" + action + "'; expected train, encode or decode");
        };
    }

    private int train(Args args, PrintStream out) throws IOException {
        List<String> inputs = args.values("input");
        if (inputs.isEmpty()) {
            throw new Args.UsageException("missing --input");
        }
        if (!args.has("vocab-size")) {
            throw new Args.UsageException("missing --vocab-size");
        }
        long vocabularySize = args.getLong("vocab-size", 0);
        if (vocabularySize < 1 || vocabularySize > Integer.MAX_VALUE) {
            throw new Args.UsageException("--vocab-size must be a positive integer, not " + args.require("vocab-size"));
        }
        Path outDir = Path.of(args.require("out"));
        List<Path> files = new ArrayList<>();
        for (String input : inputs) {
            Path file = Path.of(input);
            if (!Files.isRegularFile(file)) {
                throw new Args.UsageException("--input " + input + (Files.isDirectory(file) ? " is a directory; name its files" : " does not exist"));
            }
            files.add(file);
        }
        BpeTrainer trainer = args.has("special-tokens")
            ? new BpeTrainer((int) vocabularySize, Arrays.asList(args.require("special-tokens").split(",", -1)))
            : new BpeTrainer((int) vocabularySize);
        long start = System.nanoTime();
        for (Path file : files) {
            CorpusReader.readText(file, (text, documentEnds) -> trainer.addText(text));
        }
        BpeTokenizer tokenizer;
        try {
            tokenizer = trainer.train();
        } catch (IllegalStateException e) {
            throw new IllegalStateException(e.getMessage() + " (" + String.join(", ", inputs) + ")");
        }
        Path saved = tokenizer.save(outDir);
        double seconds = (System.nanoTime() - start) / 1e9;
        if (args.has("json")) {
            ObjectNode result = JSON.createObjectNode()
                .put("tokenizer", saved.toString())
                .put("vocab_size", tokenizer.vocabularySize())
                .put("merges", tokenizer.mergeCount())
                .put("texts", trainer.texts())
                .put("bytes", trainer.bytes())
                .put("distinct_pieces", trainer.distinctPieces())
                .put("seconds", seconds);
            out.println(result.toPrettyString());
        } else {
            out.printf("trained %d ids (%d merges) on %d texts, %.1f MB, %d distinct pieces, in %.1f s%nwrote %s%n",
                tokenizer.vocabularySize(), tokenizer.mergeCount(), trainer.texts(), trainer.bytes() / 1e6,
                trainer.distinctPieces(), seconds, saved);
        }
        return 0;
    }

    private int encode(Args args, PrintStream out) throws IOException {
        BpeTokenizer tokenizer = BpeTokenizer.load(Path.of(args.require("tokenizer")));
        if (args.has("text") == args.has("file")) {
            throw new Args.UsageException("give exactly one of --text or --file");
        }
        byte[] bytes = args.has("text")
            ? args.require("text").getBytes(StandardCharsets.UTF_8)
            : Files.readAllBytes(Path.of(args.require("file")));
        int[] ids = args.has("with-special-tokens")
            ? tokenizer.encodeWithSpecialTokens(new String(bytes, StandardCharsets.UTF_8))
            : tokenizer.encode(bytes);
        if (args.has("json")) {
            ObjectNode result = JSON.createObjectNode();
            ArrayNode idArray = result.putArray("ids");
            ArrayNode tokens = result.putArray("tokens");
            for (int id : ids) {
                idArray.add(id);
                byte[] token = tokenizer.tokenBytes(id);
                tokens.add(tokenizer.isSpecial(id) ? new String(token, StandardCharsets.UTF_8) : ByteLevelAlphabet.encode(token));
            }
            result.put("count", ids.length);
            out.println(result.toPrettyString());
        } else {
            out.println(Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(",")));
        }
        return 0;
    }

    private int decode(Args args, PrintStream out) throws IOException {
        BpeTokenizer tokenizer = BpeTokenizer.load(Path.of(args.require("tokenizer")));
        String[] words = args.require("ids").trim().split("[,\\s]+");
        int[] ids = new int[words.length];
        for (int i = 0; i < words.length; i++) {
            try {
                ids[i] = Integer.parseInt(words[i]);
            } catch (NumberFormatException e) {
                throw new Args.UsageException("--ids: '" + words[i] + "' is not a token id");
            }
        }
        String text = tokenizer.decode(ids, args.has("skip-special-tokens"));
        if (args.has("json")) {
            out.println(JSON.createObjectNode().put("text", text).toPrettyString());
        } else {
            out.println(text);
        }
        return 0;
    }
}
