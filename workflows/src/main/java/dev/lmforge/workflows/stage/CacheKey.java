package dev.lmforge.workflows.stage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * A stage's cache key: SHA-256 over its name, its code version, its config (as canonical JSON, keys sorted) and
 * its input digests (sorted by input name). Equal keys mean the stage would compute the same outputs, so a
 * completed record with the key can be reused.
 */
public final class CacheKey {

    private static final ObjectMapper JSON = new ObjectMapper();

    private CacheKey() {
    }

    public static String of(Stage stage, JsonNode config, Map<String, ArtifactRef> inputs) {
        StringBuilder text = new StringBuilder()
                .append("stage=").append(stage.id()).append('\n')
                .append("version=").append(stage.codeVersion()).append('\n')
                .append("config=").append(canonical(config)).append('\n');
        new TreeMap<>(inputs).forEach((name, ref) -> text.append("input ").append(name).append('=').append(ref.digest()).append('\n'));
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** JSON with object keys sorted at every level, so equal configs serialise to equal text. */
    static String canonical(JsonNode node) {
        return sorted(node == null ? JSON.nullNode() : node).toString();
    }

    private static JsonNode sorted(JsonNode node) {
        if (node.isObject()) {
            ObjectNode out = JSON.createObjectNode();
            toMap(node).forEach((k, v) -> out.set(k, sorted(v)));
            return out;
        }
        if (node.isArray()) {
            var out = JSON.createArrayNode();
            node.forEach(child -> out.add(sorted(child)));
            return out;
        }
        return node;
    }

    private static Map<String, JsonNode> toMap(JsonNode node) {
        Map<String, JsonNode> map = new TreeMap<>();
        node.fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue()));
        return map;
    }
}
