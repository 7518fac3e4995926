package dev.lmforge.activities.text;

import dev.lmforge.activities.JsonSyntax;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes Hugging Face {@code tokenizer.json} for {@link BpeTokenizer}: a byte-level BPE model, the
 * {@link PreTokenizer} rules as a {@code Sequence} of {@code Split} regexes followed by {@code ByteLevel}, a
 * {@code ByteLevel} decoder, and the special tokens as special added tokens. Reading accepts exactly that shape
 * (what lmforge writes) and names the first field that differs.
 */
final class TokenizerJson {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final JsonNode PRE_TOKENIZER = preTokenizer();

    private TokenizerJson() {
    }

    static void write(BpeTokenizer tokenizer, OutputStream out) throws IOException {
        ObjectNode root = NODES.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        tokenizer.specialTokens().forEach((content, id) -> added.addObject()
            .put("id", id)
            .put("content", content)
            .put("single_word", false)
            .put("lstrip", false)
            .put("rstrip", false)
            .put("normalized", false)
            .put("special", true));
        root.putNull("normalizer");
        root.set("pre_tokenizer", PRE_TOKENIZER);
        root.putNull("post_processor");
        root.set("decoder", byteLevel());
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        String[] names = new String[tokenizer.vocabularySize()];
        for (int id = 0; id < names.length; id++) {
            byte[] bytes = tokenizer.tokenBytes(id);
            names[id] = tokenizer.isSpecial(id) ? new String(bytes, StandardCharsets.UTF_8) : ByteLevelAlphabet.encode(bytes);
            vocab.put(names[id], id);
        }
        ArrayNode merges = model.putArray("merges");
        for (int[] m : tokenizer.merges()) {
            // Byte-level names never hold a space (it maps to U+0120), so the classic "left right" form is unambiguous.
            merges.add(names[m[0]] + " " + names[m[1]]);
        }
        JSON.writerWithDefaultPrettyPrinter().writeValue(out, root);
    }

    /** Reads a tokenizer; {@code source} names the input in error messages. */
    static BpeTokenizer read(InputStream in, String source) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(in);
        } catch (JsonProcessingException e) {
            throw new TokenizerFormatException(source + ": not valid JSON" + JsonSyntax.at(e));
        }
        return new Reader(root, source).tokenizer();
    }

    /** One read, carrying the source name so every error can say where it is. */
    private static final class Reader {
        private final JsonNode root;
        private final String source;

        Reader(JsonNode root, String source) {
            this.root = root;
            this.source = source;
        }

        BpeTokenizer tokenizer() throws TokenizerFormatException {
            if (root == null || !root.isObject()) {
                throw error("", "must be a JSON object");
            }
            requireNull("normalizer", root.get("normalizer"));
            requireNull("post_processor", root.get("post_processor"));
            if (!PRE_TOKENIZER.equals(root.get("pre_tokenizer"))) {
                throw error("pre_tokenizer", "unsupported: lmforge runs only its own DeepSeek-style rules, "
                    + "a Sequence of Split " + PreTokenizer.SPLIT_PATTERNS + " then ByteLevel without regex");
            }
            JsonNode decoder = root.get("decoder");
            if (decoder == null || !"ByteLevel".equals(decoder.path("type").asText())) {
                throw error("decoder", "must be ByteLevel, not " + decoder);
            }
            JsonNode model = object(root, "model");
            if (!"BPE".equals(model.path("type").asText())) {
                throw error("model.type", "must be BPE, not " + model.get("type"));
            }
            for (String absent : List.of("dropout", "unk_token", "continuing_subword_prefix", "end_of_word_suffix")) {
                requireNull("model." + absent, model.get(absent));
            }
            for (String off : List.of("byte_fallback", "ignore_merges")) {
                if (model.path(off).asBoolean(false)) {
                    throw error("model." + off, "must be false: lmforge does not implement it");
                }
            }
            Map<String, Integer> specials = specialTokens();
            Map<String, Integer> ids = new HashMap<>();
            byte[][] tokens = vocabulary(object(model, "vocab"), specials, ids);
            return build(tokens, specials, merges(model, ids));
        }

        private Map<String, Integer> specialTokens() throws TokenizerFormatException {
            Map<String, Integer> specials = new LinkedHashMap<>();
            JsonNode added = root.get("added_tokens");
            if (added == null || added.isNull()) {
                return specials;
            }
            if (!added.isArray()) {
                throw error("added_tokens", "must be an array");
            }
            for (int i = 0; i < added.size(); i++) {
                JsonNode token = added.get(i);
                String field = "added_tokens[" + i + "]";
                if (!token.path("content").isTextual() || !token.path("id").canConvertToInt()) {
                    throw error(field, "needs a string content and an integer id");
                }
                if (!token.path("special").asBoolean(false)) {
                    throw error(field, "'" + token.get("content").asText() + "' is not special; lmforge supports only special added tokens");
                }
                for (String flag : List.of("single_word", "lstrip", "rstrip")) {
                    if (token.path(flag).asBoolean(false)) {
                        throw error(field + "." + flag, "must be false: lmforge does not implement it");
                    }
                }
                if (specials.put(token.get("content").asText(), token.get("id").asInt()) != null) {
                    throw error(field, "repeats the content '" + token.get("content").asText() + "'");
                }
            }
            return specials;
        }

        private byte[][] vocabulary(JsonNode vocab, Map<String, Integer> specials, Map<String, Integer> ids)
            throws TokenizerFormatException {
            byte[][] tokens = new byte[vocab.size()][];
            for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                String name = entry.getKey();
                String field = "model.vocab['" + name + "']";
                if (!entry.getValue().canConvertToInt()) {
                    throw error(field, "must be an integer id, not " + entry.getValue());
                }
                int id = entry.getValue().asInt();
                if (id < 0 || id >= tokens.length) {
                    throw error(field, "id " + id + " is outside 0.." + (tokens.length - 1) + "; ids must be dense");
                }
                if (tokens[id] != null) {
                    throw error(field, "id " + id + " is used twice");
                }
                Integer specialId = specials.get(name);
                if (specialId != null && specialId != id) {
                    throw error(field, "id " + id + " differs from the added token's id " + specialId);
                }
                byte[] bytes = specialId != null ? name.getBytes(StandardCharsets.UTF_8) : ByteLevelAlphabet.decode(name);
                if (bytes == null) {
                    throw error(field, "holds a character outside the byte-level alphabet");
                }
                tokens[id] = bytes;
                ids.put(name, id);
            }
            for (Map.Entry<String, Integer> s : specials.entrySet()) {
                if (!s.getValue().equals(ids.get(s.getKey()))) {
                    throw error("added_tokens", "special token '" + s.getKey() + "' (id " + s.getValue() + ") is missing from model.vocab");
                }
            }
            return tokens;
        }

        private List<int[]> merges(JsonNode model, Map<String, Integer> ids) throws TokenizerFormatException {
            JsonNode merges = model.get("merges");
            if (merges == null || !merges.isArray()) {
                throw error("model.merges", "must be an array");
            }
            List<int[]> result = new ArrayList<>(merges.size());
            for (int i = 0; i < merges.size(); i++) {
                JsonNode merge = merges.get(i);
                String field = "model.merges[" + i + "]";
                String left;
                String right;
                if (merge.isTextual() && merge.asText().split(" ", -1).length == 2) {
                    String[] parts = merge.asText().split(" ", -1);
                    left = parts[0];
                    right = parts[1];
                } else if (merge.isArray() && merge.size() == 2 && merge.get(0).isTextual() && merge.get(1).isTextual()) {
                    left = merge.get(0).asText();
                    right = merge.get(1).asText();
                } else {
                    throw error(field, "must be \"left right\" or [left, right], not " + merge);
                }
                Integer joinedId = ids.get(left + right);
                Integer leftId = ids.get(left);
                Integer rightId = ids.get(right);
                if (leftId == null || rightId == null || joinedId == null) {
                    String missing = leftId == null ? left : rightId == null ? right : left + right;
                    throw error(field, "token '" + missing + "' is not in model.vocab");
                }
                result.add(new int[] {leftId, rightId, joinedId});
            }
            return result;
        }

        private BpeTokenizer build(byte[][] tokens, Map<String, Integer> specials, List<int[]> merges)
            throws TokenizerFormatException {
            try {
                return new BpeTokenizer(tokens, specials, merges);
            } catch (IllegalArgumentException e) {
                throw error("model", e.getMessage());
            }
        }

        private JsonNode object(JsonNode parent, String name) throws TokenizerFormatException {
            JsonNode node = parent.get(name);
            if (node == null || !node.isObject()) {
                throw error(name, "must be a JSON object");
            }
            return node;
        }

        private void requireNull(String field, JsonNode node) throws TokenizerFormatException {
            if (node != null && !node.isNull()) {
                throw error(field, "unsupported: lmforge expects none, found " + node);
            }
        }

        private TokenizerFormatException error(String field, String problem) {
            return new TokenizerFormatException(source + (field.isEmpty() ? "" : ": " + field) + ": " + problem);
        }
    }

    private static JsonNode preTokenizer() {
        ObjectNode sequence = NODES.objectNode().put("type", "Sequence");
        ArrayNode steps = sequence.putArray("pretokenizers");
        for (String pattern : PreTokenizer.SPLIT_PATTERNS) {
            ObjectNode split = steps.addObject().put("type", "Split");
            split.putObject("pattern").put("Regex", pattern);
            split.put("behavior", "Isolated").put("invert", false);
        }
        steps.add(byteLevel());
        return sequence;
    }

    private static ObjectNode byteLevel() {
        return NODES.objectNode()
            .put("type", "ByteLevel")
            .put("add_prefix_space", false)
            .put("trim_offsets", false)
            .put("use_regex", false);
    }
}
