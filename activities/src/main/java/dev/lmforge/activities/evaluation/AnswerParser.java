package dev.lmforge.activities.evaluation;

import java.math.BigDecimal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** How a generation is compared with its target. */
public enum AnswerParser {
    /** Equal after trimming white space from both ends of each. */
    EXACT("exact"),
    /**
     * The first number in the generation equals the target's number: {@code "19 apples"} matches {@code 19} and
     * {@code "19.0"}; thousands separators ({@code 1,234}) are allowed.
     */
    NUMBER("number");

    private static final Pattern NUMBER_PATTERN = Pattern.compile("-?(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?");

    private final String key;

    AnswerParser(String key) {
        this.key = key;
    }

    /** The name used in task files. */
    public String key() {
        return key;
    }

    /** Whether {@code generation} answers {@code target}. */
    public boolean matches(String generation, String target) {
        if (this == EXACT) {
            return generation.strip().equals(target.strip());
        }
        BigDecimal found = firstNumber(generation);
        return found != null && found.compareTo(targetNumber(target)) == 0;
    }

    /** The first number in {@code text}, or null if it has none. */
    public static BigDecimal firstNumber(String text) {
        Matcher m = NUMBER_PATTERN.matcher(text);
        return m.find() ? new BigDecimal(m.group().replace(",", "")) : null;
    }

    /**
     * A target that must be a number and nothing else.
     *
     * @throws IllegalArgumentException if it is not
     */
    public static BigDecimal targetNumber(String target) {
        String trimmed = target.strip();
        if (!NUMBER_PATTERN.matcher(trimmed).matches()) {
            throw new IllegalArgumentException("the target is not a number");
        }
        return new BigDecimal(trimmed.replace(",", ""));
    }

    /** The parser named {@code key}, or null. */
    static AnswerParser byKey(String key) {
        for (AnswerParser parser : values()) {
            if (parser.key.equals(key)) {
                return parser;
            }
        }
        return null;
    }
}
