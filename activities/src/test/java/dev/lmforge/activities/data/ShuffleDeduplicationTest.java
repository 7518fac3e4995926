package dev.lmforge.activities.data;

import dev.lmforge.activities.text.CorpusReader;
import dev.lmforge.activities.text.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShuffleDeduplicationTest {

    @TempDir
    Path dir;

    private static final SyntheticCorpus TEXT = new SyntheticCorpus(11);

    private static DataConfig config(int partitions, DataConfig.KeepPolicy keep) {
        DataConfig d = DataConfig.defaults();
        DataConfig.Dedup x = d.dedup();
        return new DataConfig(d.reading(), new DataConfig.Dedup(x.near(), x.shingles(), x.shingleSize(), x.permutations(),
                x.bands(), x.rows(), x.threshold(), x.seed(), keep), d.quality(), d.remix(), partitions);
    }

    private Path write(String name, Document... docs) throws IOException {
        Path file = dir.resolve(name);
        try (JsonlWriter out = new JsonlWriter(file)) {
            for (Document d : docs) {
                out.write(d);
            }
            out.commit();
        }
        return file;
    }

    private static Document doc(String id, String dump, String text) {
        return new Document(id, text, dump, "web", "en", Map.of());
    }

    private static List<String> ids(Path jsonl) throws IOException {
        List<String> ids = new ArrayList<>();
        new CorpusReader(DataConfig.defaults().reading()).read(jsonl, (d, line) -> ids.add(d.id()));
        return ids;
    }

    @Test
    void findsKnownDuplicatePairsAndKeepsDistinctDocuments() throws IOException {
        String a = TEXT.document(1);
        String b = TEXT.document(2);
        Path older = write("2024-01.jsonl", doc("a", "2024-01", a), doc("b", "2024-01", b), doc("c", "2024-01", TEXT.document(3)));
        Path newer = write("2024-02.jsonl",
                doc("a-shouted", "2024-02", "  " + a.toUpperCase().replace(" ", "   ") + "\n"),   // same after normalising
                doc("b-mirror", "2024-02", SyntheticCorpus.nearCopy(b, 5)),
                doc("d", "2024-02", TEXT.document(4)));
        ShuffleDeduplication.Run run = new ShuffleDeduplication(config(2, DataConfig.KeepPolicy.EARLIEST_DUMP))
                .run(List.of(older, newer), dir.resolve("work"), dir.resolve("out"));
        assertEquals(List.of("a", "b", "c"), ids(run.survivors().get(0)));
        assertEquals(List.of("d"), ids(run.survivors().get(1)));
        assertEquals(1, run.result().removedExact());
        assertEquals(1, run.result().removedNear());
        Set<String> reasons = new HashSet<>();
        run.result().largest().forEach(c -> reasons.add(c.keptId() + ":" + c.removed().get(0).id() + ":" + c.removed().get(0).kind()));
        assertEquals(Set.of("a:a-shouted:exact", "b:b-mirror:near"), reasons);
        assertTrue(run.result().largest().get(0).reason().startsWith("earliest dump (2024-01)"));
        List<String> clusters = Files.readAllLines(run.clusters());
        assertEquals(2, clusters.size());
        assertTrue(clusters.get(0).startsWith("{\"keptId\":\"a\",\"keptDump\":\"2024-01\""), clusters.get(0));
    }

    @Test
    void latestDumpPolicyKeepsTheNewestCopy() throws IOException {
        String a = TEXT.document(1);
        Path older = write("2024-01.jsonl", doc("old", "2024-01", a));
        Path newer = write("2024-02.jsonl", doc("new", "2024-02", a));
        ShuffleDeduplication.Run run = new ShuffleDeduplication(config(1, DataConfig.KeepPolicy.LATEST_DUMP))
                .run(List.of(older, newer), dir.resolve("work"), dir.resolve("out"));
        assertEquals(List.of(), ids(run.survivors().get(0)));
        assertEquals(List.of("new"), ids(run.survivors().get(1)));
    }

    @Test
    void withinAndAcrossDumpRatesMatchTheConstructedCorpus() throws IOException {
        List<SyntheticCorpus.Dump> dumps = new SyntheticCorpus(5).writeDumps(dir.resolve("in"), 4, 150_000, 0.2, 0.2);
        ShuffleDeduplication.Run run = new ShuffleDeduplication(config(3, DataConfig.KeepPolicy.EARLIEST_DUMP))
                .run(dumps.stream().map(SyntheticCorpus.Dump::file).toList(), dir.resolve("work"), dir.resolve("out"));
        List<DuplicateRates> rates = run.result().rates();
        long within = 0;
        long across = 0;
        for (int d = 0; d < dumps.size(); d++) {
            SyntheticCorpus.Dump planted = dumps.get(d);
            assertEquals(DuplicateRates.of(String.format("%02d", d), planted.documents(), planted.duplicatesInDump(),
                    planted.duplicatesAnywhere()), rates.get(d));
            within += planted.duplicatesInDump();
            across += planted.duplicatesAnywhere();
        }
        DuplicateRates all = run.result().overall();
        assertEquals(within, all.removedWithinDump());
        assertEquals(across, all.removedAcrossDumps());
        assertTrue(all.acrossDumpsRate() > all.withinDumpRate(), "across dumps removes more, as in Table 1");
    }

    @Test
    void oneAndThreePartitionsGiveIdenticalBytes() throws IOException {
        List<Path> inputs = new SyntheticCorpus(9).writeDumps(dir.resolve("in"), 3, 100_000, 0.2, 0.2).stream()
                .map(SyntheticCorpus.Dump::file).toList();
        Map<Integer, ShuffleDeduplication.Run> runs = new HashMap<>();
        for (int p : new int[]{1, 3}) {
            runs.put(p, new ShuffleDeduplication(config(p, DataConfig.KeepPolicy.EARLIEST_DUMP))
                    .run(inputs, dir.resolve("work" + p), dir.resolve("out" + p)));
        }
        assertEquals(runs.get(1).result(), runs.get(3).result());
        for (int shard = 0; shard < inputs.size(); shard++) {
            assertArrayEquals(Files.readAllBytes(runs.get(1).survivors().get(shard)),
                    Files.readAllBytes(runs.get(3).survivors().get(shard)), "shard " + shard);
            assertArrayEquals(Files.readAllBytes(ShuffleDeduplication.removalFile(dir.resolve("work1/removals"), shard)),
                    Files.readAllBytes(ShuffleDeduplication.removalFile(dir.resolve("work3/removals"), shard)));
        }
        assertArrayEquals(Files.readAllBytes(runs.get(1).clusters()),
                Files.readAllBytes(runs.get(3).clusters()));
        assertTrue(runs.get(1).result().overall().removedAcrossDumps() > 0);
    }

    @Test
    void stepResultsSurviveAJsonRoundTripForFanOut() throws IOException {
        List<Path> inputs = new SyntheticCorpus(4).writeDumps(dir.resolve("in"), 2, 40_000, 0.3, 0.2).stream()
                .map(SyntheticCorpus.Dump::file).toList();
        ShuffleDeduplication.Run run = new ShuffleDeduplication(DataConfig.defaults()).run(inputs, dir.resolve("w"), dir.resolve("o"));
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (ShuffleDeduplication.ShardSummary s : run.shards()) {
            assertEquals(s, json.readValue(json.writeValueAsBytes(s), ShuffleDeduplication.ShardSummary.class));
        }
        assertEquals(run.result(), json.readValue(json.writeValueAsBytes(run.result()), DedupResult.class));
        assertTrue(json.writeValueAsString(run.result()).contains("\"acrossDumpsRate\""));
    }

    /** The sample corpus: the planted overlap of samples/corpus/planted.tsv is found exactly. */
    @Test
    void sampleCorpusOverlapIsFoundAsPlanted() throws IOException {
        Path corpus = Path.of("..", "samples", "corpus").toAbsolutePath().normalize();
        Map<String, long[]> expected = new HashMap<>();   // dump -> records, within, across
        Set<String> seen = new HashSet<>();
        Map<String, Set<String>> seenInDump = new HashMap<>();
        List<String> rows = Files.readAllLines(corpus.resolve("planted.tsv"));
        for (String row : rows.subList(1, rows.size())) {
            String[] f = row.split("\t");   // id, dump, base, kind, jaccard
            long[] e = expected.computeIfAbsent(f[1], k -> new long[3]);
            e[0]++;
            if (!f[3].startsWith("junk")) {
                e[1] += seenInDump.computeIfAbsent(f[1], k -> new HashSet<>()).add(f[2]) ? 0 : 1;
                e[2] += seen.add(f[2]) ? 0 : 1;
            }
        }
        List<Path> dumps = List.of(corpus.resolve("dump-2024-01.jsonl"), corpus.resolve("dump-2024-02.jsonl.gz"),
                corpus.resolve("dump-2024-03.jsonl.zst"), corpus.resolve("dump-2024-04.jsonl"));
        DedupResult result = new ShuffleDeduplication(DataConfig.defaults())
                .run(dumps, dir.resolve("work"), dir.resolve("out")).result();
        for (DuplicateRates r : result.rates().subList(0, 4)) {
            long[] e = expected.get(r.dump());
            assertEquals(DuplicateRates.of(r.dump(), e[0], e[1], e[2]), r);
        }
    }
}
