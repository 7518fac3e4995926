package dev.lmforge.activities.data;

import dev.lmforge.activities.text.CorpusReader;
import dev.lmforge.activities.text.ReadStats;
import dev.lmforge.activities.text.TooManyInputErrorsException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SequenceWriter;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Exact and near-duplicate removal over many shards as four pure steps over files, so that the work can fan out
 * across workers with the files shuffled through an artifact store and no worker holds the whole index:
 * <ol>
 *   <li>{@link #signShard} (per input shard): the exact digest and the MinHash band keys of every document,
 *       each key sent to the partition a hash of it chooses; a document writes one record (its name, digest and
 *       signature, and its keys there) into each partition file that gets any of its keys;</li>
 *   <li>{@link #findPairs} (per partition): documents grouped by band key; the groups give candidate pairs,
 *       kept when the fingerprints agree (exact digests equal, or estimated Jaccard at least the threshold);</li>
 *   <li>{@link #cluster} (once): union-find over all pairs gives the clusters, one document kept per cluster by
 *       the {@link DataConfig.KeepPolicy}, the Table-1 rates, and one removal list per shard;</li>
 *   <li>{@link #writeSurvivors} (per input shard): the shard without its removed documents.</li>
 * </ol>
 * {@link #run} chains them in one process. A document is named by its shard and line, never by partition, so any
 * number of partitions gives the same bytes. In a group of more than two documents, pairs are verified against
 * the group's first document of each dump, and the first documents of the dumps against the group's first:
 * linear in the group's size; a member similar only to others than these is missed.
 */
public final class ShuffleDeduplication {

    /** The band number of the exact-digest record each document emits. */
    static final int EXACT_BAND = -1;
    private static final int LINE_BITS = 40;
    private static final int MAX_NAME = 1000;
    private static final String CLUSTERS = "clusters.jsonl";
    private static final ObjectMapper CLUSTER_JSON = new ObjectMapper();

    private final DataConfig config;
    private final MinHashDeduplicator minHash;
    private final CorpusReader reader;

    public ShuffleDeduplication(DataConfig config) {
        this.config = config;
        this.minHash = new MinHashDeduplicator(config.dedup());
        this.reader = new CorpusReader(config.reading());
    }

    /**
     * What step (a) read from one shard.
     *
     * @param shard     the shard's index (its position in the input list)
     * @param file      the input file
     * @param read      records, bytes and errors
     * @param documents documents read per dump
     */
    public record ShardSummary(int shard, String file, ReadStats read, Map<String, Long> documents) {
    }

    /**
     * Everything {@link #run} produced.
     *
     * @param shards    what step (a) read from each shard
     * @param result    the clusters' summary and Table-1 rates
     * @param survivors the deduplicated shards, in input order
     * @param clusters  every duplicate cluster, one JSON line each (see {@link #clusterFile})
     */
    public record Run(List<ShardSummary> shards, DedupResult result, List<Path> survivors, Path clusters) {
    }

    /** The file of a partition written by a shard. */
    public static Path bandFile(Path dir, int partition, int shard) {
        return dir.resolve(String.format("bands-p%05d-s%05d.bin", partition, shard));
    }

    /** The removal list of a shard. */
    public static Path removalFile(Path dir, int shard) {
        return dir.resolve(String.format("removed-s%05d.bin", shard));
    }

    // ---- step (a) ----

    /** Step (a): reads a shard and writes its band keys into {@code config.partitions()} files in {@code dir}. */
    public ShardSummary signShard(Path input, int shard, Path dir) throws IOException {
        int partitions = config.partitions();
        Files.createDirectories(dir);
        DataOutputStream[] outs = new DataOutputStream[partitions];
        Map<String, Long> perDump = new TreeMap<>();
        ExactDeduplicator exact = new ExactDeduplicator();
        ReadStats stats;
        try {
            for (int p = 0; p < partitions; p++) {
                outs[p] = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(bandFile(dir, p, shard)), 1 << 16));
            }
            stats = reader.read(input, (doc, line) -> {
                perDump.merge(doc.dump(), 1L, Long::sum);
                String normal = Shingler.normalize(doc.text());
                ExactDeduplicator.Digest digest = exact.digest(normal);
                int[] sig = config.dedup().near() ? minHash.signature(normal) : null;
                long[] bandKeys = sig == null ? new long[0] : minHash.bandKeys(sig);
                DocKeys keys = new DocKeys(((long) shard << LINE_BITS) | line, shorten(doc.dump()), shorten(doc.id()),
                        new int[]{(int) (digest.low() >>> 32), (int) digest.low()}, sig == null ? new int[0] : sig,
                        new int[bandKeys.length + 1], new long[bandKeys.length + 1]);
                keys.bands[0] = EXACT_BAND;
                keys.keys[0] = digest.high();
                for (int band = 0; band < bandKeys.length; band++) {
                    keys.bands[band + 1] = band;
                    keys.keys[band + 1] = bandKeys[band];
                }
                for (int p = 0; p < partitions; p++) {
                    keys.inPartition(p, partitions).write(outs[p]);
                }
            });
        } finally {
            for (DataOutputStream out : outs) {
                if (out != null) {
                    out.close();
                }
            }
        }
        return new ShardSummary(shard, input.toString(), stats, perDump);
    }

    /**
     * One document's record in a partition file: its name, its fingerprints, and those of its band keys that
     * hash to the partition. The signature travels once per partition, not once per band.
     *
     * @param ref       shard and line
     * @param exactRest bits 64 to 127 of the exact digest (bits 0 to 63 are the exact band's key)
     * @param signature the MinHash signature; empty when the document has no shingle or near dedup is off
     * @param bands     band numbers ({@link #EXACT_BAND} for the exact digest)
     * @param keys      the band keys, parallel to {@code bands}
     */
    private record DocKeys(long ref, String dump, String id, int[] exactRest, int[] signature, int[] bands, long[] keys) {

        DocKeys inPartition(int partition, int partitions) {
            int n = 0;
            int[] b = new int[bands.length];
            long[] k = new long[bands.length];
            for (int i = 0; i < bands.length; i++) {
                if (Math.floorMod(bucket(bands[i], keys[i]), partitions) == partition) {
                    b[n] = bands[i];
                    k[n++] = keys[i];
                }
            }
            return new DocKeys(ref, dump, id, exactRest, signature, Arrays.copyOf(b, n), Arrays.copyOf(k, n));
        }

        void write(DataOutputStream out) throws IOException {
            if (bands.length == 0) {
                return;
            }
            out.writeLong(ref);
            out.writeUTF(dump);
            out.writeUTF(id);
            writeInts(out, exactRest);
            writeInts(out, signature);
            writeInts(out, bands);
            for (long key : keys) {
                out.writeLong(key);
            }
        }

        /** The next record of a partition file, or {@code null} at its end. */
        static DocKeys read(DataInputStream in) throws IOException {
            long ref;
            try {
                ref = in.readLong();
            } catch (EOFException end) {
                return null;
            }
            String dump = in.readUTF();
            String id = in.readUTF();
            int[] exactRest = readInts(in);
            int[] signature = readInts(in);
            int[] bands = readInts(in);
            long[] keys = new long[bands.length];
            for (int i = 0; i < keys.length; i++) {
                keys[i] = in.readLong();
            }
            return new DocKeys(ref, dump, id, exactRest, signature, bands, keys);
        }
    }

    /** Writes a length and the values in one call: per-value writes to a buffered stream cost a lock each. */
    private static void writeInts(DataOutputStream out, int[] values) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(4 + 4 * values.length);
        bytes.putInt(values.length).asIntBuffer().put(values);
        out.write(bytes.array());
    }

    private static int[] readInts(DataInputStream in) throws IOException {
        byte[] bytes = new byte[4 * in.readInt()];
        in.readFully(bytes);
        int[] values = new int[bytes.length / 4];
        ByteBuffer.wrap(bytes).asIntBuffer().get(values);
        return values;
    }

    private static long bucket(int band, long key) {
        return Shingler.mix(key * 31 + band);
    }

    private static String shorten(String s) {
        return s.length() <= MAX_NAME ? s : s.substring(0, MAX_NAME);
    }

    // ---- step (b) ----

    private record GroupKey(int band, long key) {
    }

    /** A verified duplicate pair, {@code a < b}. */
    private record Pair(long a, String dumpA, String idA, long b, String dumpB, String idB, boolean exact) {
    }

    /**
     * Step (b): groups the records of one partition (the partition files every shard wrote for it) by band key
     * and writes the verified pairs, sorted, to {@code pairsFile}. Holds only documents with a key that occurs
     * twice or more.
     *
     * @return the number of pairs written
     */
    public long findPairs(List<Path> partitionFiles, Path pairsFile) throws IOException {
        long totalBytes = 0;
        for (Path f : partitionFiles) {
            totalBytes += Files.size(f);
        }
        // Pass 1 marks the buckets seen twice; a bucket collision only lets a few singletons into pass 2.
        int bits = (int) Math.min(1L << 30, Math.max(1024, totalBytes / 4));
        BitSet once = new BitSet(bits);
        BitSet twice = new BitSet(bits);
        for (Path f : partitionFiles) {
            readPartition(f, doc -> {
                for (int i = 0; i < doc.bands.length; i++) {
                    int bit = (int) Math.floorMod(bucket(doc.bands[i], doc.keys[i]), (long) bits);
                    if (once.get(bit)) {
                        twice.set(bit);
                    } else {
                        once.set(bit);
                    }
                }
            });
        }
        Map<GroupKey, List<DocKeys>> groups = new HashMap<>();
        for (Path f : partitionFiles) {
            readPartition(f, doc -> {
                for (int i = 0; i < doc.bands.length; i++) {
                    if (twice.get((int) Math.floorMod(bucket(doc.bands[i], doc.keys[i]), (long) bits))) {
                        groups.computeIfAbsent(new GroupKey(doc.bands[i], doc.keys[i]), k -> new ArrayList<>(2)).add(doc);
                    }
                }
            });
        }
        TreeMap<long[], Pair> pairs = new TreeMap<>(Comparator.<long[]>comparingLong(p -> p[0]).thenComparingLong(p -> p[1]));
        for (Map.Entry<GroupKey, List<DocKeys>> group : groups.entrySet()) {
            if (group.getValue().size() > 1) {
                starPairs(group.getKey().band == EXACT_BAND, group.getValue(), pairs);
            }
        }
        Path temp = pairsFile.resolveSibling(pairsFile.getFileName() + ".partial");
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(temp), 1 << 16))) {
            for (Pair p : pairs.values()) {
                out.writeLong(p.a);
                out.writeUTF(p.dumpA);
                out.writeUTF(p.idA);
                out.writeLong(p.b);
                out.writeUTF(p.dumpB);
                out.writeUTF(p.idB);
                out.writeBoolean(p.exact);
            }
        }
        Files.move(temp, pairsFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return pairs.size();
    }

    /** Verifies each member against its dump's first member, and each dump's first against the group's first. */
    private void starPairs(boolean exact, List<DocKeys> members, TreeMap<long[], Pair> pairs) {
        members.sort(Comparator.comparingLong(DocKeys::ref));
        Map<String, DocKeys> firstOfDump = new HashMap<>();
        DocKeys first = members.get(0);
        for (DocKeys m : members) {
            DocKeys head = firstOfDump.putIfAbsent(m.dump, m);
            if (head != null) {
                verify(exact, head, m, pairs);
            } else if (m != first) {
                verify(exact, first, m, pairs);
            }
        }
    }

    private void verify(boolean exact, DocKeys x, DocKeys y, TreeMap<long[], Pair> pairs) {
        boolean same = exact ? Arrays.equals(x.exactRest, y.exactRest) : minHash.isDuplicate(x.signature, y.signature);
        if (same) {
            Pair pair = new Pair(x.ref, x.dump, x.id, y.ref, y.dump, y.id, exact);
            pairs.merge(new long[]{x.ref, y.ref}, pair, (old, now) -> old.exact ? old : now);
        }
    }

    private static void readPartition(Path file, java.util.function.Consumer<DocKeys> sink) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            for (DocKeys doc = DocKeys.read(in); doc != null; doc = DocKeys.read(in)) {
                sink.accept(doc);
            }
        }
    }

    // ---- step (c) ----

    private record Doc(long ref, String dump, String id) {
    }

    /** The JSON lines of every duplicate cluster that step (c) writes: kept document, reason, removed documents. */
    public static Path clusterFile(Path dir) {
        return dir.resolve(CLUSTERS);
    }

    /**
     * Step (c): joins the pairs of every partition into clusters, keeps one document per cluster and writes one
     * removal list per shard (see {@link #removalFile}) and the list of clusters (see {@link #clusterFile}) into
     * {@code dir}.
     */
    public DedupResult cluster(List<Path> pairFiles, List<ShardSummary> shards, Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<Long, Doc> docs = new HashMap<>();
        UnionFind across = new UnionFind();
        UnionFind within = new UnionFind();
        UnionFind exactOnly = new UnionFind();
        Set<List<Long>> distinctPairs = new HashSet<>();   // a pair may come from several partitions
        for (Path file : pairFiles) {
            try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
                while (true) {
                    long a;
                    try {
                        a = in.readLong();
                    } catch (EOFException end) {
                        break;
                    }
                    Doc x = new Doc(a, in.readUTF(), in.readUTF());
                    long b = in.readLong();
                    Doc y = new Doc(b, in.readUTF(), in.readUTF());
                    docs.putIfAbsent(a, x);
                    docs.putIfAbsent(b, y);
                    boolean exact = in.readBoolean();
                    distinctPairs.add(List.of(a, b));
                    across.union(a, b);
                    if (x.dump.equals(y.dump)) {
                        within.union(a, b);
                    }
                    if (exact) {
                        exactOnly.union(a, b);
                    }
                }
            }
        }
        Comparator<Doc> keepOrder = switch (config.dedup().keep()) {
            case EARLIEST_DUMP -> Comparator.comparing(Doc::dump).thenComparingLong(Doc::ref);
            case LATEST_DUMP -> Comparator.comparing(Doc::dump).reversed().thenComparingLong(Doc::ref);
        };
        Map<Long, List<Doc>> clusters = new TreeMap<>();
        for (Doc d : docs.values()) {
            clusters.computeIfAbsent(across.find(d.ref), r -> new ArrayList<>()).add(d);
        }
        Map<String, Long> removedAcross = new TreeMap<>();
        Map<Integer, TreeMap<Long, Boolean>> removals = new TreeMap<>();   // shard -> line -> exact?
        List<DuplicateCluster> listed = new ArrayList<>();
        long removedExact = 0;
        Path clusterTemp = clusterFile(dir).resolveSibling(CLUSTERS + ".partial");
        try (SequenceWriter clusterLines = CLUSTER_JSON.writer().withRootValueSeparator("\n").writeValues(clusterTemp.toFile())) {
            for (List<Doc> members : clusters.values()) {
                members.sort(keepOrder);
                Doc kept = members.get(0);
                List<DuplicateCluster.Removed> removed = new ArrayList<>();
                for (Doc d : members.subList(1, members.size())) {
                    boolean exact = exactOnly.find(d.ref) == exactOnly.find(kept.ref);
                    removedExact += exact ? 1 : 0;
                    removedAcross.merge(d.dump, 1L, Long::sum);
                    removals.computeIfAbsent((int) (d.ref >>> LINE_BITS), s -> new TreeMap<>()).put(d.ref & lineMask(), exact);
                    removed.add(new DuplicateCluster.Removed(d.id, d.dump, exact ? "exact" : "near"));
                }
                String which = config.dedup().keep() == DataConfig.KeepPolicy.EARLIEST_DUMP ? "earliest" : "latest";
                DuplicateCluster cluster = new DuplicateCluster(kept.id, kept.dump,
                        which + " dump (" + kept.dump + ") among " + members.size() + " copies, then earliest input",
                        members.size(), removed);
                clusterLines.write(cluster);
                listed.add(new DuplicateCluster(cluster.keptId(), cluster.keptDump(), cluster.reason(), cluster.size(),
                        removed.subList(0, Math.min(removed.size(), DuplicateCluster.LISTED))));
            }
        }
        Files.move(clusterTemp, clusterFile(dir), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        listed.sort(Comparator.comparingInt(DuplicateCluster::size).reversed());   // stable: ties keep cluster order
        Map<String, Long> removedWithin = new TreeMap<>();
        Map<Long, Long> withinSizes = new HashMap<>();
        for (Doc d : docs.values()) {
            if (withinSizes.merge(within.find(d.ref), 1L, Long::sum) > 1) {
                removedWithin.merge(d.dump, 1L, Long::sum);
            }
        }
        for (ShardSummary s : shards) {
            writeRemovals(removalFile(dir, s.shard()), removals.getOrDefault(s.shard(), new TreeMap<>()));
        }
        long removedTotal = removedAcross.values().stream().mapToLong(Long::longValue).sum();
        return new DedupResult(rates(shards, removedWithin, removedAcross), removedExact, removedTotal - removedExact,
                distinctPairs.size(), clusters.size(), List.copyOf(listed.subList(0, Math.min(listed.size(), DedupResult.LISTED))));
    }

    private static List<DuplicateRates> rates(List<ShardSummary> shards, Map<String, Long> within, Map<String, Long> across) {
        Map<String, Long> documents = new TreeMap<>();
        shards.forEach(s -> s.documents().forEach((dump, n) -> documents.merge(dump, n, Long::sum)));
        List<DuplicateRates> rows = new ArrayList<>();
        long[] total = new long[3];
        documents.forEach((dump, n) -> {
            DuplicateRates row = DuplicateRates.of(dump, n, within.getOrDefault(dump, 0L), across.getOrDefault(dump, 0L));
            rows.add(row);
            total[0] += row.documents();
            total[1] += row.removedWithinDump();
            total[2] += row.removedAcrossDumps();
        });
        rows.add(DuplicateRates.of("all", total[0], total[1], total[2]));
        return rows;
    }

    private static long lineMask() {
        return (1L << LINE_BITS) - 1;
    }

    private static void writeRemovals(Path file, TreeMap<Long, Boolean> lines) throws IOException {
        Path temp = file.resolveSibling(file.getFileName() + ".partial");
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(temp)))) {
            for (Map.Entry<Long, Boolean> e : lines.entrySet()) {
                out.writeLong(e.getKey());
                out.writeBoolean(e.getValue());
            }
        }
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    // ---- step (d) ----

    /**
     * Step (d): copies a shard to {@code output} (JSONL) without the documents its removal list names.
     *
     * @return the documents written
     */
    public long writeSurvivors(Path input, Path removalFile, Path output) throws IOException {
        long[] removed;
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(removalFile)))) {
            removed = new long[(int) (Files.size(removalFile) / 9)];
            for (int i = 0; i < removed.length; i++) {
                removed[i] = in.readLong();
                in.readBoolean();
            }
        }
        try (JsonlWriter out = new JsonlWriter(output)) {
            int[] next = {0};
            reader.read(input, (doc, line) -> {
                while (next[0] < removed.length && removed[next[0]] < line) {
                    next[0]++;
                }
                if (next[0] >= removed.length || removed[next[0]] != line) {
                    out.write(doc);
                }
            });
            out.commit();
            return out.records();
        }
    }

    // ---- all four in one process ----

    /**
     * Runs the four steps in one process: shard {@code i} is {@code inputs.get(i)}; work files go under
     * {@code workDir}; the survivors of shard {@code i} go to {@code outDir/dedup-s0000i.jsonl}. Fails with
     * {@link TooManyInputErrorsException} when the inputs hold too many bad records.
     */
    public Run run(List<Path> inputs, Path workDir, Path outDir) throws IOException {
        Path bands = workDir.resolve("bands");
        Path pairs = workDir.resolve("pairs");
        Path removals = workDir.resolve("removals");
        Files.createDirectories(pairs);
        List<ShardSummary> shards = new ArrayList<>();
        ReadStats read = ReadStats.empty();
        for (int i = 0; i < inputs.size(); i++) {
            ShardSummary s = signShard(inputs.get(i), i, bands);
            shards.add(s);
            read = read.plus(s.read());
        }
        read.checkErrorRatio(config.reading().maxErrorRatio());
        List<Path> pairFiles = new ArrayList<>();
        for (int p = 0; p < config.partitions(); p++) {
            List<Path> files = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) {
                files.add(bandFile(bands, p, i));
            }
            Path out = pairs.resolve(String.format("pairs-p%05d.bin", p));
            findPairs(files, out);
            pairFiles.add(out);
        }
        DedupResult result = cluster(pairFiles, shards, removals);
        List<Path> survivors = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            Path out = outDir.resolve(String.format("dedup-s%05d.jsonl", i));
            writeSurvivors(inputs.get(i), removalFile(removals, i), out);
            survivors.add(out);
        }
        return new Run(shards, result, survivors, clusterFile(removals));
    }

    /** Union-find over document refs, with path halving; absent refs are their own roots. */
    private static final class UnionFind {
        private final Map<Long, Long> parent = new HashMap<>();

        long find(long x) {
            long p = parent.getOrDefault(x, x);
            while (p != x) {
                long grand = parent.getOrDefault(p, p);
                parent.put(x, grand);
                x = p;
                p = grand;
            }
            return x;
        }

        void union(long x, long y) {
            long rx = find(x);
            long ry = find(y);
            if (rx != ry) {
                // The smaller ref becomes the root, so roots do not depend on the order pairs arrive in.
                parent.put(Math.max(rx, ry), Math.min(rx, ry));
            }
        }
    }
}
