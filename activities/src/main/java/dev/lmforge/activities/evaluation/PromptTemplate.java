package dev.lmforge.activities.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Text with {@code {{field}}} placeholders filled from a data record's fields, as in lm-evaluation-harness's
 * templates (without their Jinja logic). Field names are letters, digits, {@code _} and {@code -}; a value that is a
 * string is used as is, a number or boolean as written in JSON.
 */
public final class PromptTemplate {

    private final String source;
    /** Literal text and field names alternate: even entries are literals, odd entries field names. */
    private final List<String> parts;

    private PromptTemplate(String source, List<String> parts) {
        this.source = source;
        this.parts = parts;
    }

    /** Parses {@code source}; an {@link IllegalArgumentException} says what is wrong with a placeholder. */
    public static PromptTemplate parse(String source) {
        List<String> parts = new ArrayList<>();
        int at = 0;
        while (true) {
            int open = source.indexOf("{{", at);
            if (open < 0) {
                parts.add(source.substring(at));
                return new PromptTemplate(source, List.copyOf(parts));
            }
            int close = source.indexOf("}}", open + 2);
            if (close < 0) {
                throw new IllegalArgumentException("'{{' at character " + (open + 1) + " is never closed by '}}'");
            }
            String field = source.substring(open + 2, close).trim();
            if (!field.matches("[A-Za-z0-9_-]+")) {
                throw new IllegalArgumentException("the placeholder at character " + (open + 1)
                        + " must name one field (letters, digits, _ and -)");
            }
            parts.add(source.substring(at, open));
            parts.add(field);
            at = close + 2;
        }
    }

    /** The fields it reads, in order of appearance. */
    public List<String> fields() {
        List<String> fields = new ArrayList<>();
        for (int i = 1; i < parts.size(); i += 2) {
            fields.add(parts.get(i));
        }
        return fields;
    }

    /**
     * Fills the placeholders from {@code record}.
     *
     * @throws IllegalArgumentException naming the placeholder (by its place, not its field's name from the task
     *                                  file) whose field is missing or is a list or object
     */
    public String render(JsonNode record) {
        StringBuilder out = new StringBuilder(parts.get(0));
        for (int i = 1; i < parts.size(); i += 2) {
            JsonNode value = record.get(parts.get(i));
            int placeholder = (i + 1) / 2;
            if (value == null || value.isNull()) {
                throw new IllegalArgumentException("the field of the template's placeholder " + placeholder
                        + " is missing");
            }
            if (value.isContainerNode()) {
                throw new IllegalArgumentException("the field of the template's placeholder " + placeholder
                        + " must be a string or number, not " + LocatedObject.describe(value));
            }
            out.append(value.isTextual() ? value.textValue() : value.toString()).append(parts.get(i + 1));
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return source;
    }
}
