package dev.lmforge.activities.data;

import dev.lmforge.activities.text.Document;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * English-like documents generated from a seed, and dumps of them with planted exact and near duplicates whose
 * Table-1 rates are known in advance. Document {@code k} is the same text every time for a given seed, so a copy
 * is regenerated rather than remembered and a corpus of any size streams to disk.
 */
public final class SyntheticCorpus {

    private static final String[] STOP_WORDS = {"the", "of", "and", "to", "a", "in", "is", "that", "for", "it", "as",
            "with", "on", "be", "by", "this", "are", "or", "from", "at"};
    private static final String[] SYLLABLES = {"ka", "lo", "mi", "ser", "ven", "tra", "pol", "dan", "ri", "cus",
            "mon", "ter", "ble", "sta", "gor", "nel", "phi", "que", "dro", "lin", "mar", "to", "vis", "zen"};

    private final long seed;
    private final String[] vocabulary = new String[4000];

    public SyntheticCorpus(long seed) {
        this.seed = seed;
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < vocabulary.length; i++) {
            StringBuilder w = new StringBuilder();
            for (int s = 1 + random.nextInt(3); s > 0; s--) {
                w.append(SYLLABLES[random.nextInt(SYLLABLES.length)]);
            }
            vocabulary[i] = w.toString();
        }
    }

    /** Document {@code k}: 400 to 800 words of sentences in paragraphs. */
    public String document(long k) {
        SplittableRandom random = new SplittableRandom(Shingler.mix(seed ^ Shingler.mix(k + 1)));
        int words = 400 + random.nextInt(401);
        StringBuilder text = new StringBuilder(words * 7);
        int sentence = 0;
        for (int i = 0; i < words; i++) {
            boolean stop = random.nextInt(10) < 4;
            // Content words follow a skewed law: a few are common, most are rare.
            String w = stop ? STOP_WORDS[random.nextInt(STOP_WORDS.length)]
                    : vocabulary[(int) (vocabulary.length * Math.pow(random.nextDouble(), 2.5))];
            if (sentence == 0) {
                w = Character.toUpperCase(w.charAt(0)) + w.substring(1);
            }
            text.append(w);
            if (++sentence >= 6 + random.nextInt(13)) {
                text.append(random.nextInt(5) == 0 ? ".\n\n" : ". ");
                sentence = 0;
            } else {
                text.append(' ');
            }
        }
        return text.toString().strip() + ".";
    }

    /** A near copy: the same body under another site's header and footer. */
    public static String nearCopy(String text, long salt) {
        SplittableRandom random = new SplittableRandom(salt);
        return "Posted 2024-" + (1 + random.nextInt(12)) + "-" + (1 + random.nextInt(28)) + " on mirror"
                + random.nextInt(100) + "\n\n" + text + "\n\nCopyright mirror" + random.nextInt(100);
    }

    /**
     * What {@link #writeDumps} planted in one dump.
     *
     * @param file               the dump's file
     * @param documents          records written
     * @param bytes              UTF-8 bytes of their text
     * @param duplicatesInDump   records copying a document already in this dump
     * @param duplicatesAnywhere records copying a document already in this or an earlier dump
     */
    public record Dump(Path file, long documents, long bytes, long duplicatesInDump, long duplicatesAnywhere) {
    }

    /**
     * Writes {@code dumps} JSONL dumps of about {@code bytesPerDump} bytes of text each into {@code dir}
     * ({@code dump-00.jsonl}, ...). Each record is a new document, or with the given odds an exact or near copy
     * of a document written before (in this dump or an earlier one).
     */
    public List<Dump> writeDumps(Path dir, int dumps, long bytesPerDump, double exactShare, double nearShare)
            throws IOException {
        return writeDumps(dir, dumps, bytesPerDump, exactShare, nearShare, null);
    }

    /**
     * {@link #writeDumps(Path, int, long, double, double)}, and when {@code planted} is not null, the ground truth
     * there in the bundled sample corpus's {@code planted.tsv} form: one line per record with its id, dump, the
     * document it copies ({@code k<number>}) and how ({@code original}, {@code exact} or {@code near}).
     */
    public List<Dump> writeDumps(Path dir, int dumps, long bytesPerDump, double exactShare, double nearShare,
                                 Path planted) throws IOException {
        try (Writer truth = planted == null ? Writer.nullWriter() : Files.newBufferedWriter(planted)) {
            truth.write("id\tdump\tbase\tkind\n");
            return writeAll(dir, dumps, bytesPerDump, exactShare, nearShare, truth);
        }
    }

    private List<Dump> writeAll(Path dir, int dumps, long bytesPerDump, double exactShare, double nearShare,
                                  Writer truth) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        List<Dump> written = new ArrayList<>();
        long next = 0;
        for (int d = 0; d < dumps; d++) {
            String dump = String.format("%02d", d);
            Path file = dir.resolve("dump-" + dump + ".jsonl");
            Set<Long> inDump = new HashSet<>();
            long bytes = 0;
            long within = 0;
            long anywhere = 0;
            try (JsonlWriter out = new JsonlWriter(file)) {
                while (bytes < bytesPerDump) {
                    double roll = random.nextDouble();
                    boolean copy = next > 0 && roll < exactShare + nearShare;
                    long k = copy ? random.nextLong(next) : next++;
                    String text = copy && roll >= exactShare ? nearCopy(document(k), random.nextLong()) : document(k);
                    within += inDump.add(k) ? 0 : 1;
                    anywhere += copy ? 1 : 0;
                    String id = "d" + dump + "-" + out.records();
                    out.write(new Document(id, text, dump, "synthetic", "en", Map.of()));
                    truth.write(id + "\t" + dump + "\tk" + k + "\t" + (!copy ? "original" : roll < exactShare ? "exact" : "near") + "\n");
                    bytes += text.length();   // ASCII: one byte a character
                }
                out.commit();
                written.add(new Dump(file, out.records(), bytes, within, anywhere));
            }
        }
        return written;
    }
}
