package dev.lmforge.activities.data;

import dev.lmforge.activities.text.Document;
import java.util.Map;
import java.util.TreeMap;

/**
 * How a set of documents divides into domains and languages: documents and text bytes per (domain, language)
 * cell. Mixes of shards add up with {@link #plus}.
 *
 * @param documents domain, then language, to documents
 * @param bytes     domain, then language, to UTF-8 bytes of text
 */
public record Mix(Map<String, Map<String, Long>> documents, Map<String, Map<String, Long>> bytes) {

    /**
     * One line of a mix summary.
     *
     * @param documents     documents
     * @param bytes         UTF-8 bytes of text
     * @param documentShare share of all documents
     * @param byteShare     share of all bytes
     */
    public record Share(long documents, long bytes, double documentShare, double byteShare) {
    }

    /**
     * A mix by domain and by language.
     *
     * @param documents total documents
     * @param bytes     total bytes
     * @param domains   per domain
     * @param languages per language
     */
    public record Summary(long documents, long bytes, Map<String, Share> domains, Map<String, Share> languages) {
    }

    public Mix {
        documents = deepCopy(documents);
        bytes = deepCopy(bytes);
    }

    public static Mix empty() {
        return new Mix(Map.of(), Map.of());
    }

    /** Counts documents one at a time into a {@link Mix}. */
    public static final class Tally {
        private final Map<String, Map<String, Long>> documents = new TreeMap<>();
        private final Map<String, Map<String, Long>> bytes = new TreeMap<>();

        /** Counts {@code copies} copies of a document. */
        public void add(Document doc, long copies) {
            long size = doc.textBytes();
            documents.computeIfAbsent(doc.domain(), k -> new TreeMap<>()).merge(doc.lang(), copies, Long::sum);
            bytes.computeIfAbsent(doc.domain(), k -> new TreeMap<>()).merge(doc.lang(), size * copies, Long::sum);
        }

        public Mix mix() {
            return new Mix(documents, bytes);
        }
    }

    public Mix plus(Mix other) {
        Map<String, Map<String, Long>> docs = deepCopy(documents);
        Map<String, Map<String, Long>> size = deepCopy(bytes);
        add(docs, other.documents);
        add(size, other.bytes);
        return new Mix(docs, size);
    }

    public Summary summary() {
        Map<String, long[]> domains = new TreeMap<>();
        Map<String, long[]> languages = new TreeMap<>();
        long[] total = new long[2];
        documents.forEach((domain, cells) -> cells.forEach((lang, n) -> {
            long b = bytes.get(domain).get(lang);
            for (long[] row : new long[][]{domains.computeIfAbsent(domain, k -> new long[2]),
                    languages.computeIfAbsent(lang, k -> new long[2]), total}) {
                row[0] += n;
                row[1] += b;
            }
        }));
        return new Summary(total[0], total[1], shares(domains, total), shares(languages, total));
    }

    private static Map<String, Share> shares(Map<String, long[]> rows, long[] total) {
        Map<String, Share> out = new TreeMap<>();
        rows.forEach((k, r) -> out.put(k, new Share(r[0], r[1], total[0] == 0 ? 0 : (double) r[0] / total[0],
                total[1] == 0 ? 0 : (double) r[1] / total[1])));
        return out;
    }

    private static void add(Map<String, Map<String, Long>> into, Map<String, Map<String, Long>> from) {
        from.forEach((domain, cells) -> cells.forEach((lang, n) ->
                into.computeIfAbsent(domain, k -> new TreeMap<>()).merge(lang, n, Long::sum)));
    }

    private static Map<String, Map<String, Long>> deepCopy(Map<String, Map<String, Long>> m) {
        Map<String, Map<String, Long>> copy = new TreeMap<>();
        m.forEach((k, v) -> copy.put(k, new TreeMap<>(v)));
        return copy;
    }
}
