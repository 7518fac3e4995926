package dev.lmforge.activities.evaluation;

import dev.lmforge.activities.JsonSyntax;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The top-level object of a YAML or JSON file whose fields remember the line they start on, so that every
 * complaint about a field names its file and line. Typed getters fail with a {@link TaskFileException}.
 */
final class LocatedObject {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper(new JsonFactory());

    private final Path file;
    private final int line;
    private final Map<String, Field> fields;

    private LocatedObject(Path file, int line, Map<String, Field> fields) {
        this.file = file;
        this.line = line;
        this.fields = fields;
    }

    /** A field's value and the line its name is on. */
    record Field(String name, JsonNode value, int line) {
    }

    /** Reads {@code file}, opened by {@code files}: JSON if it ends in {@code .json}, YAML otherwise. */
    static LocatedObject read(Path file, TaskFiles files) throws IOException {
        ObjectMapper mapper = file.getFileName().toString().endsWith(".json") ? JSON : YAML;
        try (InputStream in = files.open(file); JsonParser parser = mapper.createParser(in)) {
            JsonToken first = parser.nextToken();
            if (first != JsonToken.START_OBJECT) {
                throw new TaskFileException(file, lineOf(parser), "expected an object of fields at the top level");
            }
            int start = lineOf(parser);
            Map<String, Field> fields = new LinkedHashMap<>();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                int at = lineOf(parser);
                parser.nextToken();
                JsonNode value = parser.readValueAsTree();
                if (fields.put(name, new Field(name, value == null ? YAML.nullNode() : value, at)) != null) {
                    throw new TaskFileException(file, at, "a field name appears twice (its second time on this line)");
                }
            }
            if (parser.nextToken() != null) {
                throw new TaskFileException(file, lineOf(parser), "unexpected content after the top-level object");
            }
            return new LocatedObject(file, start, fields);
        } catch (JsonParseException e) {
            int at = e.getLocation() == null ? 1 : Math.max(1, e.getLocation().getLineNr());
            throw new TaskFileException(file, at, "not valid " + (mapper == JSON ? "JSON" : "YAML") + JsonSyntax.at(e));
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new TaskFileException(file, 1, "no such file");
        }
    }

    private static int lineOf(JsonParser parser) {
        return Math.max(1, parser.currentTokenLocation().getLineNr());
    }

    Path file() {
        return file;
    }

    boolean has(String name) {
        return fields.containsKey(name);
    }

    /** The field, or an error naming it as missing. */
    Field require(String name) {
        Field field = fields.get(name);
        if (field == null) {
            throw error(line, "missing field '" + name + "'");
        }
        return field;
    }

    /** Fails on the first field not in {@code known}. */
    void allowOnly(Set<String> known, String what) {
        for (Field field : fields.values()) {
            if (!known.contains(field.name())) {
                throw error(field.line(), "unknown field name in " + what + "; known fields: "
                        + known.stream().sorted().toList());
            }
        }
    }

    /** Fails if any of {@code names} is present: they belong to another kind of file. */
    void forbid(List<String> names, String reason) {
        for (String name : names) {
            Field field = fields.get(name);
            if (field != null) {
                throw error(field.line(), "field '" + name + "' " + reason);
            }
        }
    }

    String text(String name) {
        return text(require(name));
    }

    String text(String name, String fallback) {
        return has(name) ? text(fields.get(name)) : fallback;
    }

    /** A non-empty string value. */
    String nonEmptyText(String name) {
        Field field = require(name);
        String value = text(field);
        if (value.isEmpty()) {
            throw error(field.line(), "field '" + name + "' must not be empty");
        }
        return value;
    }

    private String text(Field field) {
        if (!field.value().isTextual()) {
            throw error(field.line(), "field '" + field.name() + "' must be a string, not " + describe(field.value()));
        }
        return field.value().textValue();
    }

    /** A whole number of at least {@code min}; {@code fallback} when absent. */
    long whole(String name, long fallback, long min) {
        Field field = fields.get(name);
        if (field == null) {
            return fallback;
        }
        if (!field.value().canConvertToLong() || !field.value().isIntegralNumber()) {
            throw error(field.line(), "field '" + name + "' must be a whole number, not " + describe(field.value()));
        }
        long value = field.value().longValue();
        if (value < min) {
            throw error(field.line(), "field '" + name + "' must be at least " + min);
        }
        return value;
    }

    /** A list of strings (a single string counts as a list of one); {@code fallback} when absent. */
    List<String> texts(String name, List<String> fallback) {
        Field field = fields.get(name);
        if (field == null) {
            return fallback;
        }
        if (field.value().isTextual()) {
            return List.of(field.value().textValue());
        }
        if (!field.value().isArray()) {
            throw error(field.line(), "field '" + name + "' must be a list of strings, not " + describe(field.value()));
        }
        List<String> values = new ArrayList<>();
        for (JsonNode element : field.value()) {
            if (!element.isTextual()) {
                throw error(field.line(), "field '" + name + "' must hold only strings, not " + describe(element));
            }
            values.add(element.textValue());
        }
        return values;
    }

    /** The line a field starts on, or the object's first line for a missing field. */
    int lineOf(String name) {
        Field field = fields.get(name);
        return field == null ? line : field.line();
    }

    TaskFileException error(int at, String message) {
        return new TaskFileException(file, at, message);
    }

    /** A JSON value's kind for error messages, never the value: a task file may hold what its reader must not see. */
    static String describe(JsonNode value) {
        if (value.isNull()) {
            return "null";
        }
        if (value.isTextual()) {
            return "a string";
        }
        if (value.isContainerNode()) {
            return value.isArray() ? "a list" : "an object";
        }
        return value.isNumber() ? "a number" : value.isBoolean() ? "a boolean" : "a " + value.getNodeType().name().toLowerCase();
    }
}
