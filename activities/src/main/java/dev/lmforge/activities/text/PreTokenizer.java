package dev.lmforge.activities.text;

import java.util.List;

/**
 * Splits text into the pieces BPE works inside, following the DeepSeek LLM paper (Section 2.1): line breaks,
 * punctuation and CJK characters never merge with other text, and every number character stands alone.
 *
 * <p>Hugging Face expresses the rules as a {@code Sequence} of {@code Split} pre-tokenizers, each with
 * {@code behavior: Isolated}, applied in order to the pieces the previous one left ({@link #SPLIT_PATTERNS}):
 * <ol>
 *   <li>runs of {@code \r} and {@code \n};</li>
 *   <li>each number character ({@code \p{N}}) alone;</li>
 *   <li>runs of CJK characters ({@link #CJK_RANGES});</li>
 *   <li>runs of letters and combining marks, with at most one leading space;</li>
 *   <li>runs of punctuation and symbols, with at most one leading space.</li>
 * </ol>
 * What no rule matches (other spaces, controls, format characters) forms pieces of its own between the matches.
 * Since later rules split the pieces of earlier ones again, a CJK run falls apart where it holds something other
 * than letters and marks (the katakana middle dot, unassigned code points). {@link #split} computes the same
 * pieces in one pass over UTF-8 without regular expressions; a test checks it against the patterns applied one
 * after another.
 */
public final class PreTokenizer {

    /** Code point ranges (inclusive pairs) kept apart as CJK: Hangul, kana, the CJK ideograph blocks. */
    static final int[] CJK_RANGES = {
        0x1100, 0x11FF, // Hangul Jamo
        0x3040, 0x30FF, // Hiragana, Katakana
        0x3130, 0x318F, // Hangul Compatibility Jamo
        0x3400, 0x4DBF, // CJK Unified Ideographs Extension A
        0x4E00, 0x9FFF, // CJK Unified Ideographs
        0xAC00, 0xD7AF, // Hangul Syllables
        0xF900, 0xFAFF, // CJK Compatibility Ideographs
        0x20000, 0x3FFFF, // Supplementary and Tertiary Ideographic Planes
    };

    /** The rules as regular expressions (Oniguruma and java.util.regex agree on this syntax), in order. */
    static final List<String> SPLIT_PATTERNS = List.of(
        "[\\r\\n]+",
        "\\p{N}",
        "[" + cjkClass() + "]+",
        " ?[\\p{L}\\p{M}]+",
        " ?[\\p{P}\\p{S}]+");

    // Character classes; each code point has exactly one.
    private static final int NEWLINE = 0;
    private static final int NUMBER = 1;
    private static final int CJK = 2;
    private static final int LETTER = 3;
    private static final int PUNCTUATION = 4;
    private static final int SPACE = 5;
    private static final int OTHER = 6;
    // Inside the CJK ranges but not letters or marks: rule 3 keeps them apart from outside, rules 4 and 5 from
    // the letters and from each other.
    private static final int CJK_PUNCTUATION = 7;
    private static final int CJK_OTHER = 8;

    /** Class of every BMP code point, computed once so the hot loop does one array read. */
    private static final byte[] BMP_CLASS = new byte[0x10000];
    /** A malformed UTF-8 byte: a one-byte unit of class OTHER. */
    private static final int MALFORMED = OTHER | 1 << 8;

    static {
        for (int cp = 0; cp < BMP_CLASS.length; cp++) {
            BMP_CLASS[cp] = (byte) classify(cp);
        }
    }

    private PreTokenizer() {
    }

    /** Appends to {@code ends} the end offset of each piece of {@code utf8[from, to)}, in order. */
    public static void split(byte[] utf8, int from, int to, IntList ends) {
        int i = from;
        while (i < to) {
            int unit = unit(utf8, i, to);
            int cls = unit & 0xFF;
            int j = i + (unit >>> 8);
            switch (cls) {
                case NUMBER -> { }
                case NEWLINE, CJK, CJK_PUNCTUATION, CJK_OTHER, LETTER, PUNCTUATION -> j = runOf(utf8, j, to, cls);
                case SPACE -> {
                    int next = j < to ? unit(utf8, j, to) : MALFORMED;
                    int nextClass = next & 0xFF;
                    j = nextClass == LETTER || nextClass == PUNCTUATION
                        ? runOf(utf8, j + (next >>> 8), to, nextClass)
                        : otherRun(utf8, j, to);
                }
                default -> j = otherRun(utf8, j, to);
            }
            ends.add(j);
            i = j;
        }
    }

    /** The end of the run of class {@code cls} starting at {@code i}. */
    private static int runOf(byte[] s, int i, int to, int cls) {
        while (i < to) {
            int unit = unit(s, i, to);
            if ((unit & 0xFF) != cls) {
                break;
            }
            i += unit >>> 8;
        }
        return i;
    }

    /** The end of the unmatched stretch from {@code i}: OTHER units, and spaces that no run claims. */
    private static int otherRun(byte[] s, int i, int to) {
        while (i < to) {
            int unit = unit(s, i, to);
            int cls = unit & 0xFF;
            if (cls == SPACE && i + 1 < to) {
                int next = unit(s, i + 1, to) & 0xFF;
                if (next == LETTER || next == PUNCTUATION) {
                    break;
                }
            } else if (cls != OTHER && cls != SPACE) {
                break;
            }
            i += unit >>> 8;
        }
        return i;
    }

    /** The UTF-8 unit at {@code i}: its class in the low byte, its length above; malformed bytes are OTHER. */
    private static int unit(byte[] s, int i, int to) {
        int b0 = s[i];
        if (b0 >= 0) {
            return BMP_CLASS[b0] | 1 << 8;
        }
        b0 &= 0xFF;
        if (b0 < 0xC2 || b0 > 0xF4) {
            return MALFORMED;
        }
        if (b0 < 0xE0) {
            if (i + 1 >= to || !continuation(s[i + 1])) {
                return MALFORMED;
            }
            return BMP_CLASS[(b0 & 0x1F) << 6 | s[i + 1] & 0x3F] | 2 << 8;
        }
        // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
        int b1 = i + 1 < to ? s[i + 1] & 0xFF : -1;
        int low = b0 == 0xE0 ? 0xA0 : b0 == 0xF0 ? 0x90 : 0x80;
        int high = b0 == 0xED ? 0x9F : b0 == 0xF4 ? 0x8F : 0xBF;
        if (b1 < low || b1 > high) {
            return MALFORMED;
        }
        if (b0 < 0xF0) {
            if (i + 2 >= to || !continuation(s[i + 2])) {
                return MALFORMED;
            }
            return BMP_CLASS[(b0 & 0x0F) << 12 | (b1 & 0x3F) << 6 | s[i + 2] & 0x3F] | 3 << 8;
        }
        if (i + 3 >= to || !continuation(s[i + 2]) || !continuation(s[i + 3])) {
            return MALFORMED;
        }
        int cp = (b0 & 0x07) << 18 | (b1 & 0x3F) << 12 | (s[i + 2] & 0x3F) << 6 | s[i + 3] & 0x3F;
        return classify(cp) | 4 << 8;
    }

    private static boolean continuation(byte b) {
        return (b & 0xC0) == 0x80;
    }

    private static int classify(int cp) {
        if (cp == '\r' || cp == '\n') {
            return NEWLINE;
        }
        if (cp == ' ') {
            return SPACE;
        }
        int type = Character.getType(cp);
        switch (type) {
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> {
                return NUMBER;
            }
            default -> { }
        }
        int general = switch (type) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                Character.MODIFIER_LETTER, Character.OTHER_LETTER, Character.NON_SPACING_MARK,
                Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK -> LETTER;
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                Character.OTHER_PUNCTUATION, Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL,
                Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL -> PUNCTUATION;
            default -> OTHER;
        };
        if (!inCjkRange(cp)) {
            return general;
        }
        return general == LETTER ? CJK : general == PUNCTUATION ? CJK_PUNCTUATION : CJK_OTHER;
    }

    private static boolean inCjkRange(int cp) {
        for (int r = 0; r < CJK_RANGES.length; r += 2) {
            if (cp >= CJK_RANGES[r] && cp <= CJK_RANGES[r + 1]) {
                return true;
            }
        }
        return false;
    }

    private static String cjkClass() {
        StringBuilder b = new StringBuilder();
        for (int r = 0; r < CJK_RANGES.length; r += 2) {
            b.append(String.format("\\x{%X}-\\x{%X}", CJK_RANGES[r], CJK_RANGES[r + 1]));
        }
        return b.toString();
    }
}
