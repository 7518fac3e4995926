package dev.lmforge.activities.alignment;

import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.JsonSyntax;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Reads the alignment stage's JSONL files: one JSON object per line, blank lines skipped. Any other line is an
 * {@link InvalidInputException} naming the file, the line and the field.
 *
 * <p><b>SFT</b> ({@link #readSft}): {@code {"messages": [{"role": "system"|"user"|"assistant", "content":
 * "..."}, ...], "conversational": true|false}}. {@code messages} is non-empty and holds at least one
 * {@code assistant} turn; only assistant turns are trained on. {@code conversational} is optional (default
 * false): the two-stage option trains on every example, then on the conversational ones only.
 *
 * <p><b>DPO</b> ({@link #readPreferences}): {@code {"prompt": "...", "chosen": "...", "rejected": "..."}}, all
 * three non-empty strings, {@code chosen} the preferred answer to {@code prompt}.
 */
public final class AlignmentData {

    /** The bundled SFT set, a classpath resource next to this class. */
    public static final String BUNDLED_SFT = "sft.jsonl";
    /** The bundled DPO set, a classpath resource next to this class. */
    public static final String BUNDLED_PREFERENCES = "preferences.jsonl";

    private static final ObjectMapper JSON = new ObjectMapper();

    private AlignmentData() {
    }

    /** The SFT examples in {@code file}. */
    public static List<SftExample> readSft(Path file) {
        return read(file, AlignmentData::sftExample);
    }

    /** The preference pairs in {@code file}. */
    public static List<PreferencePair> readPreferences(Path file) {
        return read(file, AlignmentData::preferencePair);
    }

    /** The SFT examples in {@code in}, named {@code name} in errors. */
    public static List<SftExample> readSft(InputStream in, String name) {
        return read(in, name, AlignmentData::sftExample);
    }

    /** The preference pairs in {@code in}, named {@code name} in errors. */
    public static List<PreferencePair> readPreferences(InputStream in, String name) {
        return read(in, name, AlignmentData::preferencePair);
    }

    /** The bundled SFT set. */
    public static List<SftExample> bundledSft() {
        return bundled(BUNDLED_SFT, AlignmentData::sftExample);
    }

    /** The bundled DPO set. */
    public static List<PreferencePair> bundledPreferences() {
        return bundled(BUNDLED_PREFERENCES, AlignmentData::preferencePair);
    }

    private static <T> List<T> bundled(String resource, BiFunction<JsonNode, String, T> parse) {
        return read(new ByteArrayInputStream(bundledBytes(resource)), "bundled " + resource, parse);
    }

    /** The bytes of a bundled set ({@link #BUNDLED_SFT} or {@link #BUNDLED_PREFERENCES}). */
    public static byte[] bundledBytes(String resource) {
        try (InputStream in = AlignmentData.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("bundled alignment set " + resource + " is missing from the classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <T> List<T> read(Path file, BiFunction<JsonNode, String, T> parse) {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString(), parse);
        } catch (IOException e) {
            throw new InvalidInputException("cannot read " + file + ": " + e.getMessage());
        }
    }

    private static <T> List<T> read(InputStream in, String name, BiFunction<JsonNode, String, T> parse) {
        List<T> records = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            int lineNumber = 0;
            for (String line; (line = reader.readLine()) != null; ) {
                lineNumber++;
                if (line.isBlank()) {
                    continue;
                }
                String where = name + ":" + lineNumber;
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (JsonProcessingException e) {
                    throw new InvalidInputException(where + ": not JSON" + JsonSyntax.at(e));
                }
                if (!node.isObject()) {
                    throw new InvalidInputException(where + ": expected a JSON object");
                }
                records.add(parse.apply(node, where));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + name, e);
        }
        if (records.isEmpty()) {
            throw new InvalidInputException(name + ": no records");
        }
        return records;
    }

    private static SftExample sftExample(JsonNode node, String where) {
        JsonNode messages = node.get("messages");
        if (messages == null || !messages.isArray()) {
            throw new InvalidInputException(where + ": field 'messages' is missing or not an array");
        }
        if (messages.isEmpty()) {
            throw new InvalidInputException(where + ": field 'messages' is empty");
        }
        List<ChatMessage> turns = new ArrayList<>();
        Iterator<JsonNode> it = messages.elements();
        for (int i = 0; it.hasNext(); i++) {
            JsonNode message = it.next();
            String field = "messages[" + i + "]";
            if (!message.isObject()) {
                throw new InvalidInputException(where + ": " + field + " is not an object");
            }
            String roleName = text(message, "role", where + ": " + field);
            ChatRole role = ChatRole.named(roleName);
            if (role == null) {
                // Named by its field, never quoted: an error must not echo what the file holds.
                throw new InvalidInputException(where + ": " + field + ".role is not system, user or assistant");
            }
            turns.add(new ChatMessage(role, text(message, "content", where + ": " + field)));
        }
        if (turns.stream().noneMatch(m -> m.role() == ChatRole.ASSISTANT)) {
            throw new InvalidInputException(where + ": field 'messages' has no assistant turn to learn from");
        }
        JsonNode conversational = node.get("conversational");
        if (conversational != null && !conversational.isBoolean()) {
            throw new InvalidInputException(where + ": field 'conversational' must be true or false");
        }
        return new SftExample(where, turns, conversational != null && conversational.booleanValue());
    }

    private static PreferencePair preferencePair(JsonNode node, String where) {
        return new PreferencePair(where, text(node, "prompt", where), text(node, "chosen", where),
                text(node, "rejected", where));
    }

    /** The non-empty string field {@code name} of {@code node}. */
    private static String text(JsonNode node, String name, String where) {
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            throw new InvalidInputException(where + ": field '" + name + "' is missing");
        }
        if (!value.isTextual() || value.asText().isEmpty()) {
            throw new InvalidInputException(where + ": field '" + name + "' must be a non-empty string");
        }
        return value.asText();
    }
}
