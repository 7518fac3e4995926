package dev.lmforge.activities.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.activities.data.DataConfig;
import dev.lmforge.activities.data.JsonlWriter;
import dev.lmforge.activities.data.ShuffleDeduplication;
import dev.lmforge.activities.text.CorpusReader;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code lmforge bench data --against datatrove}: lmforge's MinHash deduplication side by side with datatrove's
 * MinHash stages and datasketch's MinHashLSH on the same plain JSONL files, with the same word 5-gram shingles,
 * permutations, bands, rows and seed (datatrove takes no threshold: a shared band is a duplicate; datasketch checks
 * the estimated similarity as lmforge does). It prints, per corpus, MB/s per core (bytes of the files over CPU
 * seconds) of the signature step and of the whole removal, and, against the corpus's ground truth
 * ({@code planted.tsv}), how many planted copies each removed and how many documents it removed that no planted
 * copy explains.
 */
final class DedupComparison {

    private static final double MB = 1 << 20;
    private static final String SCRIPT = "dedup_peers.py";
    private static final List<String> PEERS = List.of("datatrove", "datasketch");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final DataConfig config;
    private final PrintStream out;

    DedupComparison(DataConfig config, PrintStream out) {
        this.config = config;
        this.out = out;
    }

    /** One side's figures on one corpus. */
    record Side(String name, double signatureMBps, double wholeMBps, Score score) {
    }

    /**
     * Documents removed, scored against the ground truth: in a group of {@code n} records with the same original,
     * up to {@code n - 1} removals are planted copies found; any further removal (the group left without a
     * survivor, or a document no planted copy explains) is a false removal.
     *
     * @param planted records that copy an earlier one
     * @param found   planted copies removed
     * @param wrong   false removals
     * @param removed documents removed in all
     */
    record Score(long planted, long found, long wrong, long removed) {

        static Score of(Map<String, String> originalOf, Set<String> removedIds) {
            Map<String, Long> groupSize = new HashMap<>();
            originalOf.values().forEach(base -> groupSize.merge(base, 1L, Long::sum));
            Map<String, Long> removedOf = new HashMap<>();
            for (String id : removedIds) {
                String base = originalOf.get(id);
                if (base == null) {
                    throw new IllegalStateException("a removed document is not in the ground truth: " + shortened(id));
                }
                removedOf.merge(base, 1L, Long::sum);
            }
            long planted = groupSize.values().stream().mapToLong(n -> n - 1).sum();
            long found = 0;
            long wrong = 0;
            for (Map.Entry<String, Long> group : removedOf.entrySet()) {
                long copies = groupSize.get(group.getKey()) - 1;
                found += Math.min(group.getValue(), copies);
                wrong += Math.max(0, group.getValue() - copies);
            }
            return new Score(planted, found, wrong, removedIds.size());
        }
    }

    /**
     * Compares the sides on the dumps in {@code inputs} (read by lmforge's reader, written out plain so that every
     * side reads the same bytes) with the truth in {@code planted} ({@code id, dump, base, kind} lines under a
     * header), working in {@code dir}; prints the figures and returns the peer lines to print at the end.
     */
    List<String> compare(String corpus, List<Path> inputs, Path planted, Path dir, PythonPeers peers)
            throws Exception {
        Path plain = Files.createDirectories(dir.resolve("plain"));
        List<Path> files = new ArrayList<>();
        CorpusReader reader = new CorpusReader(config.reading());
        for (Path input : inputs) {
            Path file = plain.resolve(String.format("dump-%02d.jsonl", files.size()));
            try (JsonlWriter writer = new JsonlWriter(file)) {
                reader.read(input, (doc, line) -> writer.write(doc));
                writer.commit();
            }
            files.add(file);
        }
        long bytes = 0;
        for (Path f : files) {
            bytes += Files.size(f);
        }
        Map<String, String> originalOf = groundTruth(planted);
        List<Side> sides = new ArrayList<>();
        sides.add(lmforge(files, bytes, originalOf, dir.resolve("lmforge")));
        for (String peer : PEERS) {
            if (peers == null) {
                continue;
            }
            Path removed = dir.resolve(peer + "-removed.txt");
            DataConfig.Dedup d = config.dedup();
            JsonNode figures = peers.run(SCRIPT, List.of(peer, "--input", plain.toString(), "--work",
                dir.resolve(peer).toString(), "--removed", removed.toString(), "--ngrams", Integer.toString(d.shingleSize()),
                "--bands", Integer.toString(d.bands()), "--rows", Integer.toString(d.rows()),
                "--threshold", Double.toString(d.threshold()), "--seed", Long.toString(d.seed())), Map.of(), 120);
            sides.add(new Side(peer, bytes / MB / figures.get("signatureCpuSeconds").asDouble(),
                bytes / MB / figures.get("wholeCpuSeconds").asDouble(),
                Score.of(originalOf, new HashSet<>(Files.readAllLines(removed)))));
        }
        out.printf("corpus %s: %d documents, %.1f MB, %d planted copies; %d-word shingles, %d permutations, %d bands"
                + " of %d rows, threshold %.2f%n", corpus, originalOf.size(), bytes / MB, sides.get(0).score.planted,
            config.dedup().shingleSize(), config.dedup().permutations(), config.dedup().bands(), config.dedup().rows(),
            config.dedup().threshold());
        for (Side s : sides) {
            out.printf("  %-10s signatures %7.2f MB/s per core, whole dedup %7.2f MB/s per core, removed %d: %d of %d"
                    + " planted copies, %d false removals%n", s.name, s.signatureMBps, s.wholeMBps, s.score.removed,
                s.score.found, s.score.planted, s.score.wrong);
        }
        List<String> lines = new ArrayList<>();
        Side ours = sides.get(0);
        for (Side peer : sides.subList(1, sides.size())) {
            String on = ", " + corpus + " corpus";
            lines.add(PeerLine.format("minhash signatures" + on, ours.signatureMBps, peer.name, peer.signatureMBps, "MB/s per core"));
            lines.add(PeerLine.format("whole dedup" + on, ours.wholeMBps, peer.name, peer.wholeMBps, "MB/s per core"));
            lines.add(PeerLine.format("planted copies found" + on, ours.score.found, peer.name, peer.score.found, "documents"));
            lines.add(PeerLine.format("false removals" + on, ours.score.wrong, peer.name, peer.score.wrong, "documents"));
        }
        return lines;
    }

    /**
     * lmforge: step (a) alone over every shard, then the whole {@link ShuffleDeduplication#run}, in CPU time, after
     * step (a) over the first shard untimed so that the figures are the JIT-compiled code's (the Python peers have no
     * warm-up to do).
     */
    private Side lmforge(List<Path> files, long bytes, Map<String, String> originalOf, Path dir) throws IOException {
        ShuffleDeduplication dedup = new ShuffleDeduplication(config);
        dedup.signShard(files.get(0), 0, dir.resolve("warm-up"));
        long c0 = cpuNanos();
        for (int shard = 0; shard < files.size(); shard++) {
            dedup.signShard(files.get(shard), shard, dir.resolve("signatures"));
        }
        long c1 = cpuNanos();
        ShuffleDeduplication.Run run = dedup.run(files, dir.resolve("work"), dir.resolve("out"));
        long c2 = cpuNanos();
        Set<String> removed = new HashSet<>();
        try (BufferedReader lines = Files.newBufferedReader(run.clusters())) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                for (JsonNode r : JSON.readTree(line).get("removed")) {
                    removed.add(r.get("id").asText());
                }
            }
        }
        return new Side("lmforge", bytes / MB / ((c1 - c0) / 1e9), bytes / MB / ((c2 - c1) / 1e9),
            Score.of(originalOf, removed));
    }

    /** id to the original it copies (itself for an original), from a {@code planted.tsv}. */
    private static Map<String, String> groundTruth(Path planted) throws IOException {
        Map<String, String> originalOf = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(planted);
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split("\t");
            originalOf.put(f[0], f[2]);
        }
        return originalOf;
    }

    /** CPU time of this thread: the deduplication runs on it alone. */
    private static long cpuNanos() {
        return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    }

    private static String shortened(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
