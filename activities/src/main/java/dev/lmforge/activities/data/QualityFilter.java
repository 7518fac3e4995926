package dev.lmforge.activities.data;

import dev.lmforge.activities.text.ReadingLimits;
import dev.lmforge.activities.text.CorpusReader;
import dev.lmforge.activities.text.Document;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Heuristic quality rules in the manner of Gopher (Rae et al. 2021), each threshold from
 * {@link DataConfig.Quality}. Words are white-space separated, except that each CJK character is a word of its
 * own, so the rules treat Chinese and English alike. Rules run in {@link Rule} order and the first that fails
 * names the rejection.
 */
public final class QualityFilter {

    /** The rules, in the order they are checked. */
    public enum Rule {
        LANGUAGE, TOO_SHORT, TOO_LONG, MEAN_WORD_LENGTH, SYMBOL_RATIO, ELLIPSIS_LINES, BULLET_LINES,
        DUPLICATE_LINES, DUPLICATE_PARAGRAPHS, TOP_NGRAM, DUPLICATE_NGRAM, ALPHABETIC
    }

    /**
     * The outcome for one document.
     *
     * @param rule   the rule that rejected it, or {@code null} when it passed
     * @param detail the measured value against the threshold, e.g. {@code "duplicate line fraction 0.62 > 0.30"}
     * @param lang   the identified language
     */
    public record Verdict(Rule rule, String detail, String lang) {
        public boolean kept() {
            return rule == null;
        }
    }

    /**
     * A rejected document kept for auditing.
     *
     * @param id      its id
     * @param dump    its dump
     * @param rule    the rule that rejected it
     * @param detail  the measured value against the threshold
     * @param excerpt the first {@link #EXCERPT} characters of its text
     */
    public record Rejected(String id, String dump, Rule rule, String detail, String excerpt) {
        public static final int EXCERPT = 300;
    }

    private static final String BULLETS = "•·‣▪●◦-*–";

    private final DataConfig.Quality config;
    private final LanguageIdentifier languages = new LanguageIdentifier();

    public QualityFilter(DataConfig.Quality config) {
        this.config = config;
    }

    /** Checks one document against every rule. */
    public Verdict check(Document doc) {
        String text = doc.text();
        String lang = languages.identify(text).lang();
        if (!config.languages().isEmpty() && !config.languages().contains(lang)) {
            return new Verdict(Rule.LANGUAGE, "language " + lang + " not in " + config.languages(), lang);
        }
        List<String> words = words(text);
        int n = words.size();
        if (n < config.minWords()) {
            return new Verdict(Rule.TOO_SHORT, n + " words < " + config.minWords(), lang);
        }
        if (n > config.maxWords()) {
            return new Verdict(Rule.TOO_LONG, n + " words > " + config.maxWords(), lang);
        }
        long latinWords = 0;
        long latinChars = 0;
        long alphabetic = 0;
        long symbols = 0;
        for (String w : words) {
            boolean cjk = w.length() <= 2 && Shingler.isCjk(w.codePointAt(0));
            if (!cjk) {
                latinWords++;
                latinChars += w.codePointCount(0, w.length());
            }
            alphabetic += cjk || hasLetter(w) ? 1 : 0;
            symbols += occurrences(w, "#") + occurrences(w, "...") + occurrences(w, "…");
        }
        if (latinWords * 2 > n) {   // mean word length only means something for text in spaced words
            double mean = (double) latinChars / latinWords;
            if (mean < config.minMeanWordLength() || mean > config.maxMeanWordLength()) {
                return new Verdict(Rule.MEAN_WORD_LENGTH, String.format("mean word length %.2f outside [%.1f, %.1f]",
                        mean, config.minMeanWordLength(), config.maxMeanWordLength()), lang);
            }
        }
        Verdict v = above(Rule.SYMBOL_RATIO, "symbol-to-word ratio", (double) symbols / n, config.maxSymbolToWordRatio(), lang);
        if (v != null) {
            return v;
        }
        List<String> lines = text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        double ellipsis = share(lines, l -> l.endsWith("...") || l.endsWith("…"));
        double bullets = share(lines, l -> BULLETS.indexOf(l.charAt(0)) >= 0);
        List<String> paragraphs = List.of(text.strip().split("\\n\\s*\\n"));
        for (Verdict check : new Verdict[]{
                above(Rule.ELLIPSIS_LINES, "ellipsis line fraction", ellipsis, config.maxEllipsisLineFraction(), lang),
                above(Rule.BULLET_LINES, "bullet line fraction", bullets, config.maxBulletLineFraction(), lang),
                above(Rule.DUPLICATE_LINES, "duplicate line fraction", duplicateShare(lines),
                        config.maxDuplicateLineFraction(), lang),
                above(Rule.DUPLICATE_PARAGRAPHS, "duplicate paragraph fraction",
                        duplicateShare(paragraphs.stream().map(String::strip).toList()),
                        config.maxDuplicateParagraphFraction(), lang)}) {
            if (check != null) {
                return check;
            }
        }
        long wordChars = words.stream().mapToLong(String::length).sum();
        // n counts words; a Chinese word averages about two characters, so CJK text uses 2n characters.
        int scale = latinWords * 2 > n ? 1 : 2;
        NgramCounts ngrams = new NgramCounts(words, wordChars);
        for (int k = 2 * scale; k <= 10 * scale; k++) {
            ngrams.grow(k);
            if (k % scale != 0) {
                continue;
            }
            int gram = k / scale;
            v = gram <= 4
                    ? above(Rule.TOP_NGRAM, "top " + k + "-gram character fraction", ngrams.topShare(),
                            config.maxTopNgramFraction().get(gram - 2), lang)
                    : above(Rule.DUPLICATE_NGRAM, "duplicate " + k + "-gram character fraction", ngrams.duplicateShare(),
                            config.maxDuplicateNgramFraction().get(gram - 5), lang);
            if (v != null) {
                return v;
            }
        }
        double alpha = (double) alphabetic / n;
        if (alpha < config.minAlphabeticFraction()) {
            return new Verdict(Rule.ALPHABETIC, String.format("alphabetic word fraction %.2f < %.2f", alpha,
                    config.minAlphabeticFraction()), lang);
        }
        return new Verdict(null, "", lang);
    }

    /**
     * What filtering a shard produced.
     *
     * @param input    documents read
     * @param kept     documents written
     * @param rejected rejections per rule (every rule listed, in rule order)
     * @param samples  the first {@code rejectedSamples} rejections of each rule
     * @param mix      the mix of the kept documents
     */
    public record Stats(long input, long kept, Map<Rule, Long> rejected, List<Rejected> samples, Mix mix) {

        public static Stats empty() {
            Map<Rule, Long> zero = new LinkedHashMap<>();
            for (Rule r : Rule.values()) {
                zero.put(r, 0L);
            }
            return new Stats(0, 0, zero, List.of(), Mix.empty());
        }

        /** Both shards' stats; samples stay at most {@code perRule} per rule, the earlier shard's first. */
        public Stats plus(Stats other, int perRule) {
            Map<Rule, Long> sum = new LinkedHashMap<>(rejected);
            other.rejected.forEach((r, c) -> sum.merge(r, c, Long::sum));
            List<Rejected> merged = new ArrayList<>();
            Map<Rule, Integer> taken = new HashMap<>();
            for (List<Rejected> list : List.of(samples, other.samples)) {
                for (Rejected r : list) {
                    if (taken.merge(r.rule(), 1, Integer::sum) <= perRule) {
                        merged.add(r);
                    }
                }
            }
            return new Stats(input + other.input, kept + other.kept, sum, merged, mix.plus(other.mix));
        }
    }

    /**
     * Filters a shard (JSONL, as step (d) of {@link ShuffleDeduplication} writes it) into {@code output}, filling
     * in the language of documents that name none.
     */
    public Stats filterShard(Path input, Path output, ReadingLimits reading) throws IOException {
        long[] counts = new long[2];   // read, kept
        Map<Rule, Long> rejected = Stats.empty().rejected();
        Map<Rule, Integer> sampled = new HashMap<>();
        List<Rejected> samples = new ArrayList<>();
        Mix.Tally mix = new Mix.Tally();
        try (JsonlWriter out = new JsonlWriter(output)) {
            new CorpusReader(reading).read(input, (doc, line) -> {
                counts[0]++;
                Verdict verdict = check(doc);
                if (verdict.kept()) {
                    Document labelled = doc.lang().isEmpty() ? doc.withLang(verdict.lang()) : doc;
                    out.write(labelled);
                    mix.add(labelled, 1);
                    counts[1]++;
                    return;
                }
                rejected.merge(verdict.rule(), 1L, Long::sum);
                if (sampled.merge(verdict.rule(), 1, Integer::sum) <= config.rejectedSamples()) {
                    String excerpt = doc.text().substring(0, Math.min(doc.text().length(), Rejected.EXCERPT));
                    samples.add(new Rejected(doc.id(), doc.dump(), verdict.rule(), verdict.detail(), excerpt));
                }
            });
            out.commit();
        }
        return new Stats(counts[0], counts[1], rejected, samples, mix.mix());
    }

    /**
     * Words: white-space separated, with each CJK character a word of its own; punctuation right after a CJK
     * character belongs to it, as it would to an English word.
     */
    static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean afterCjk = false;
        for (int i = 0; i <= text.length(); ) {
            int cp = i < text.length() ? text.codePointAt(i) : ' ';
            i += i < text.length() ? Character.charCount(cp) : 1;
            boolean cjk = Shingler.isCjk(cp);
            if (afterCjk && word.length() == 0 && isPunctuation(cp)) {
                continue;
            }
            afterCjk = cjk || (afterCjk && word.length() == 0 && !Character.isWhitespace(cp));
            if (Character.isWhitespace(cp) || cjk) {
                if (word.length() > 0) {
                    words.add(word.toString());
                    word.setLength(0);
                }
                if (cjk) {
                    words.add(new String(Character.toChars(cp)));
                }
            } else {
                word.appendCodePoint(cp);
            }
        }
        return words;
    }

    private static boolean hasLetter(String word) {
        for (int i = 0; i < word.length(); i++) {
            if (Character.isLetter(word.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    private static boolean isPunctuation(int cp) {
        int type = Character.getType(cp);
        return type == Character.OTHER_PUNCTUATION || type == Character.START_PUNCTUATION
                || type == Character.END_PUNCTUATION || type == Character.INITIAL_QUOTE_PUNCTUATION
                || type == Character.FINAL_QUOTE_PUNCTUATION || type == Character.DASH_PUNCTUATION;
    }

    private static int occurrences(String s, String part) {
        int count = 0;
        for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + part.length())) {
            count++;
        }
        return count;
    }

    private static Verdict above(Rule rule, String what, double value, double max, String lang) {
        return value > max ? new Verdict(rule, String.format("%s %.3f > %.3f", what, value, max), lang) : null;
    }

    private static double share(List<String> lines, java.util.function.Predicate<String> test) {
        return lines.isEmpty() ? 0 : (double) lines.stream().filter(test).count() / lines.size();
    }

    /** The share of items that repeat an earlier item. */
    private static double duplicateShare(List<String> items) {
        Set<String> seen = new HashSet<>();
        long repeats = items.stream().filter(item -> !item.isEmpty() && !seen.add(item)).count();
        return items.isEmpty() ? 0 : (double) repeats / items.size();
    }

    /**
     * Word n-grams as 64-bit hashes, grown one word at a time: after {@code grow(n)}, {@code hashes[i]} stands for
     * the n words from position {@code i}. An open-addressing table (reused for every n) counts them.
     */
    private static final class NgramCounts {
        private final long[] lengths;
        private final long wordChars;
        private final long[] hashes;
        private final long[] words;
        private final long[] slotHash;
        private final int[] slotFirst;   // first position + 1; 0 marks an empty slot
        private final int[] slotCount;
        private int n;

        NgramCounts(List<String> text, long wordChars) {
            this.wordChars = wordChars;
            words = new long[text.size()];
            lengths = new long[text.size()];
            for (int i = 0; i < words.length; i++) {
                words[i] = Shingler.mix(text.get(i).hashCode() + 0x9E3779B97F4A7C15L);
                lengths[i] = text.get(i).length();
            }
            hashes = new long[words.length];
            int slots = Integer.highestOneBit(Math.max(4, words.length) * 2) * 2;
            slotHash = new long[slots];
            slotFirst = new int[slots];
            slotCount = new int[slots];
        }

        void grow(int target) {
            for (; n < target; n++) {
                for (int i = 0; i + n < words.length; i++) {
                    hashes[i] = Shingler.mix(hashes[i] * 31 + words[i + n]);
                }
            }
        }

        /** Counts the current n-grams; returns the position of the most frequent one's first occurrence. */
        private int count() {
            java.util.Arrays.fill(slotFirst, 0);
            int mask = slotHash.length - 1;
            int top = -1;
            int topCount = 0;
            for (int i = 0; i + n <= words.length; i++) {
                int slot = (int) hashes[i] & mask;
                while (slotFirst[slot] != 0 && slotHash[slot] != hashes[i]) {
                    slot = (slot + 1) & mask;
                }
                if (slotFirst[slot] == 0) {
                    slotHash[slot] = hashes[i];
                    slotFirst[slot] = i + 1;
                    slotCount[slot] = 0;
                }
                if (++slotCount[slot] > topCount) {
                    topCount = slotCount[slot];
                    top = slotFirst[slot] - 1;
                }
            }
            return topCount < 2 ? -1 : top;
        }

        /** Characters covered by the most frequent n-gram (every occurrence), over all word characters. */
        double topShare() {
            int top = count();
            if (top < 0 || wordChars == 0) {
                return 0;
            }
            long chars = 0;
            for (int i = top; i < top + n; i++) {
                chars += lengths[i];
            }
            int mask = slotHash.length - 1;
            int slot = (int) hashes[top] & mask;
            while (slotHash[slot] != hashes[top]) {
                slot = (slot + 1) & mask;
            }
            return (double) chars * slotCount[slot] / wordChars;
        }

        /** Characters of the words inside any n-gram that occurs more than once, over all word characters. */
        double duplicateShare() {
            count();
            boolean[] covered = new boolean[words.length];
            int mask = slotHash.length - 1;
            for (int i = 0; i + n <= words.length; i++) {
                int slot = (int) hashes[i] & mask;
                while (slotHash[slot] != hashes[i]) {
                    slot = (slot + 1) & mask;
                }
                if (slotCount[slot] > 1) {
                    java.util.Arrays.fill(covered, i, i + n, true);
                }
            }
            long chars = 0;
            for (int i = 0; i < covered.length; i++) {
                chars += covered[i] ? lengths[i] : 0;
            }
            return wordChars == 0 ? 0 : (double) chars / wordChars;
        }
    }
}
