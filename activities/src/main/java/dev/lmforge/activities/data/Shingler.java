package dev.lmforge.activities.data;

import java.text.Normalizer;
import java.util.Arrays;
import java.util.Locale;

/**
 * Normalises text and cuts it into hashed shingles. Normal form: NFKC, lower case, runs of white space as one
 * space. Word shingles are {@code size} consecutive tokens, where a token is a run of letters and digits or a
 * single CJK character (Han, kana, Hangul), so Chinese is shingled by characters and English by words;
 * character shingles are {@code size} consecutive characters of the normal form.
 */
public final class Shingler {

    private final DataConfig.ShingleMode mode;
    private final int size;

    public Shingler(DataConfig.ShingleMode mode, int size) {
        this.mode = mode;
        this.size = size;
    }

    /** The normal form used by both exact and near-duplicate detection. */
    public static String normalize(String text) {
        boolean ascii = true;   // ASCII is already in NFKC
        for (int i = 0; i < text.length() && ascii; i++) {
            ascii = text.charAt(i) < 0x80;
        }
        String folded = (ascii ? text : Normalizer.normalize(text, Normalizer.Form.NFKC)).toLowerCase(Locale.ROOT);
        StringBuilder out = new StringBuilder(folded.length());
        boolean space = false;
        for (int i = 0; i < folded.length(); i++) {
            char c = folded.charAt(i);
            if (Character.isWhitespace(c)) {
                space = out.length() > 0;
            } else {
                if (space) {
                    out.append(' ');
                    space = false;
                }
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Whether a code point is shingled on its own, like a word: Han, kana and Hangul. */
    public static boolean isCjk(int codePoint) {
        if (codePoint < 0x2E80) {   // below the first CJK block: no lookup needed
            return false;
        }
        Character.UnicodeScript script = Character.UnicodeScript.of(codePoint);
        return script == Character.UnicodeScript.HAN || script == Character.UnicodeScript.HIRAGANA
                || script == Character.UnicodeScript.KATAKANA || script == Character.UnicodeScript.HANGUL;
    }

    /** The 64-bit hashes of the shingles of already normalised text; empty when it has no token. */
    public long[] shingles(String normalized) {
        long[] tokens = mode == DataConfig.ShingleMode.WORD ? wordTokens(normalized) : charTokens(normalized);
        if (tokens.length == 0) {
            return tokens;
        }
        int count = Math.max(1, tokens.length - size + 1);
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            long h = 0;
            for (int j = i; j < Math.min(i + size, tokens.length); j++) {
                h = mix(h * 0x9E3779B97F4A7C15L + tokens[j]);
            }
            out[i] = h;
        }
        return out;
    }

    private static long[] wordTokens(String s) {
        long[] tokens = new long[16];
        int n = 0;
        long h = 0;
        boolean inWord = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            boolean cjk = isCjk(cp);
            if (Character.isLetterOrDigit(cp) && !cjk) {
                h = (inWord ? h : 0xcbf29ce484222325L) ^ cp;
                h *= 0x100000001b3L;            // FNV-1a over code points
                inWord = true;
                continue;
            }
            if (inWord || cjk) {
                if (n + 1 >= tokens.length) {
                    tokens = Arrays.copyOf(tokens, tokens.length * 2);
                }
                if (inWord) {
                    tokens[n++] = mix(h);
                }
                if (cjk) {
                    tokens[n++] = mix(cp * 0xff51afd7ed558ccdL + 1);
                }
                inWord = false;
            }
        }
        if (inWord) {
            tokens = Arrays.copyOf(tokens, n + 1);
            tokens[n++] = mix(h);
        }
        return Arrays.copyOf(tokens, n);
    }

    private static long[] charTokens(String s) {
        return s.codePoints().mapToLong(cp -> mix(cp * 0xff51afd7ed558ccdL + 1)).toArray();
    }

    /** The splitmix64 finaliser: spreads a 64-bit value over all bits. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
