package dev.lmforge.activities.data;

import java.util.Set;

/**
 * Tells English from Chinese from other text by script and stop words: text whose tokens are mostly Han
 * characters is Chinese ({@code zh}) unless kana or Hangul give it away as Japanese or Korean; text mostly in
 * Latin words is English ({@code en}) when enough of those words are common English stop words; anything else
 * is {@code other}. A token is a CJK character or a run of other letters and digits, as in {@link Shingler}.
 */
public final class LanguageIdentifier {

    /** The least share of Latin words that must be English stop words (English prose runs near 40 %). */
    static final double MIN_STOP_WORD_SHARE = 0.10;

    private static final Set<String> STOP_WORDS = Set.of(
            "the", "of", "and", "to", "a", "in", "is", "it", "that", "for", "on", "as", "with", "be", "by", "this",
            "are", "or", "at", "from", "an", "not", "you", "can", "was", "which", "if", "but", "have", "has", "all",
            "will", "they", "their", "there", "we", "your", "do", "does", "may", "should", "when", "what", "how",
            "use", "used", "into", "than", "then", "these", "those", "also", "only", "its", "more", "other", "such",
            "one", "so", "no", "any", "some", "each", "about", "would", "been", "were", "he", "she", "his", "her");

    private static final int LONGEST_STOP_WORD = STOP_WORDS.stream().mapToInt(String::length).max().orElse(0);

    /**
     * @param lang  {@code en}, {@code zh} or {@code other}
     * @param score the share of the text's tokens in the script that decided it
     */
    public record Guess(String lang, double score) {
    }

    public Guess identify(String text) {
        long han = 0;
        long kanaOrHangul = 0;
        long latinWords = 0;
        long otherWords = 0;
        long stopWords = 0;
        StringBuilder word = new StringBuilder();
        boolean latin = true;
        for (int i = 0; i <= text.length(); ) {
            int cp = i < text.length() ? text.codePointAt(i) : ' ';
            i += i < text.length() ? Character.charCount(cp) : 1;
            if (Character.isLetterOrDigit(cp) && !Shingler.isCjk(cp)) {
                word.appendCodePoint(Character.toLowerCase(cp));
                // Latin letters sit below U+0250 but for a few extensions; only those need the script table.
                latin &= cp < 0x250 || Character.UnicodeScript.of(cp) == Character.UnicodeScript.LATIN;
                continue;
            }
            if (word.length() > 0) {
                if (latin) {
                    latinWords++;
                    stopWords += word.length() <= LONGEST_STOP_WORD && STOP_WORDS.contains(word.toString()) ? 1 : 0;
                } else {
                    otherWords++;
                }
                word.setLength(0);
                latin = true;
            }
            if (Shingler.isCjk(cp)) {
                if (Character.UnicodeScript.of(cp) == Character.UnicodeScript.HAN) {
                    han++;
                } else {
                    kanaOrHangul++;
                }
            }
        }
        long tokens = han + kanaOrHangul + latinWords + otherWords;
        if (tokens == 0) {
            return new Guess("other", 0);
        }
        double cjkShare = (double) (han + kanaOrHangul) / tokens;
        if (cjkShare >= 0.5) {
            return kanaOrHangul * 10 > han + kanaOrHangul ? new Guess("other", cjkShare) : new Guess("zh", cjkShare);
        }
        double latinShare = (double) latinWords / tokens;
        if (latinShare >= 0.5 && stopWords >= MIN_STOP_WORD_SHARE * latinWords) {
            return new Guess("en", latinShare);
        }
        return new Guess("other", 1 - Math.max(cjkShare, latinShare));
    }
}
