package dev.lmforge.activities.data;

import dev.lmforge.activities.text.CorpusReader;
import dev.lmforge.activities.text.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RemixerTest {

    @TempDir
    Path dir;

    /** 6000 documents: web 3000 (en 2000, zh 1000), code 2000 (en), books 1000 (zh). */
    private Path corpus() throws IOException {
        Path file = dir.resolve("filtered.jsonl");
        try (JsonlWriter out = new JsonlWriter(file)) {
            int n = 0;
            for (Object[] cell : new Object[][]{{"web", "en", 2000}, {"web", "zh", 1000}, {"code", "en", 2000}, {"books", "zh", 1000}}) {
                for (int i = 0; i < (int) cell[2]; i++) {
                    out.write(new Document("doc-" + n++, "text " + i, "2024-01", (String) cell[0], (String) cell[1], Map.of()));
                }
            }
            out.commit();
        }
        return file;
    }

    private static Mix mixOf(Path file) throws IOException {
        Mix.Tally tally = new Mix.Tally();
        new CorpusReader(DataConfig.defaults().reading()).read(file, (d, line) -> tally.add(d, 1));
        return tally.mix();
    }

    private Remixer.Shard remix(Path in, DataConfig.Remix config, String out) throws IOException {
        Remixer remixer = new Remixer(config);
        return remixer.remixShard(in, dir.resolve(out), remixer.plan(mixOf(in)), DataConfig.defaults().reading());
    }

    private static void assertShare(double target, Mix.Share actual, long total, String what) {
        double sigma = Math.sqrt(target * (1 - target) / total);
        assertEquals(target, actual.documentShare(), 4 * sigma, what);
    }

    @Test
    void domainAndLanguageWeightsAreHitWithinSamplingError() throws IOException {
        Path in = corpus();
        DataConfig.Remix config = new DataConfig.Remix(Map.of("web", 0.2, "code", 0.3, "books", 0.5),
                Map.of("en", 0.4, "zh", 0.6), 8000, 42);
        Remixer.Shard shard = remix(in, config, "out.jsonl");
        Mix.Summary after = shard.mix().summary();
        assertEquals(8000, after.documents(), 4 * Math.sqrt(8000));
        assertShare(0.2, after.domains().get("web"), after.documents(), "web");
        assertShare(0.3, after.domains().get("code"), after.documents(), "code");
        assertShare(0.5, after.domains().get("books"), after.documents(), "books (up-sampled fourfold)");
        assertShare(0.4, after.languages().get("en"), after.documents(), "en");
        assertShare(0.6, after.languages().get("zh"), after.documents(), "zh");
        assertEquals(shard.documents(), after.documents());
        assertTrue(Files.readString(dir.resolve("out.jsonl")).contains("#copy1"), "up-sampled copies get their own ids");
    }

    @Test
    void samplingIsDeterministicAndSeeded() throws IOException {
        Path in = corpus();
        DataConfig.Remix config = new DataConfig.Remix(Map.of("web", 0.5, "code", 0.5), Map.of(), 0, 7);
        remix(in, config, "a.jsonl");
        remix(in, config, "b.jsonl");
        remix(in, new DataConfig.Remix(config.domainWeights(), Map.of(), 0, 8), "c.jsonl");
        assertArrayEquals(Files.readAllBytes(dir.resolve("a.jsonl")), Files.readAllBytes(dir.resolve("b.jsonl")));
        assertFalse(Files.readString(dir.resolve("a.jsonl")).equals(Files.readString(dir.resolve("c.jsonl"))));
        assertFalse(Files.readString(dir.resolve("a.jsonl")).contains("\"books\""), "a domain without weight is dropped");
    }

    @Test
    void noWeightsKeepTheNaturalMixAndUnmetTargetsAreNoted() throws IOException {
        Mix before = mixOf(corpus());
        Remixer.Plan natural = new Remixer(new DataConfig.Remix(Map.of(), Map.of(), 0, 1)).plan(before);
        natural.factors().values().forEach(cells -> cells.values().forEach(f -> assertEquals(1.0, f, 1e-9)));
        Remixer.Plan plan = new Remixer(new DataConfig.Remix(Map.of("web", 1.0, "math", 1.0), Map.of(), 0, 1)).plan(before);
        assertEquals(List.of("domain 'math' has weight 1.0 but no documents"), plan.notes());
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        assertEquals(plan, json.readValue(json.writeValueAsBytes(plan), Remixer.Plan.class), "fan-out passes it as JSON");
        assertThrows(IllegalArgumentException.class,
                () -> new Remixer(new DataConfig.Remix(Map.of("math", 1.0), Map.of(), 0, 1)).plan(before));
    }
}
