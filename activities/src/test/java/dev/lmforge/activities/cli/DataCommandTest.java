package dev.lmforge.activities.cli;

import dev.lmforge.activities.data.DataReport;
import dev.lmforge.activities.data.JsonlWriter;
import dev.lmforge.activities.data.QualityFilterTest;
import dev.lmforge.activities.data.SyntheticCorpus;
import dev.lmforge.activities.text.Document;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataCommandTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... words) throws Exception {
        return new DataCommand().run(Args.parse(List.of(words)), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private List<String> inputs() throws IOException {
        List<String> files = new ArrayList<>();
        new SyntheticCorpus(3).writeDumps(dir.resolve("in"), 3, 60_000, 0.2, 0.2).forEach(d -> files.add(d.file().toString()));
        Path bad = dir.resolve("in/extra.jsonl");
        Files.writeString(bad, "{\"text\": broken\n" + JsonlWriter.toJson(new Document("q", QualityFilterTest.CHINESE, "03",
                "synthetic", "zh", java.util.Map.of())) + "\n");
        files.add(bad.toString());
        return files;
    }

    @Test
    void runsTheWholeStageAndGivesTheSameBytesWithOneOrThreePartitions() throws Exception {
        List<String> inputs = inputs();
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> reports = new ArrayList<>();
        for (int p : new int[]{1, 3}) {
            List<String> words = new ArrayList<>(List.of("run", "--out", dir.resolve("out" + p).toString(),
                    "--report", dir.resolve("report" + p + ".json").toString(), "--partitions", String.valueOf(p), "--input"));
            words.addAll(inputs);
            assertEquals(0, run(words.toArray(String[]::new)), err.toString());
            JsonNode report = json.readTree(dir.resolve("report" + p + ".json").toFile());
            ((ObjectNode) report.get("config")).remove("partitions");
            reports.add(report);
        }
        assertEquals(reports.get(0), reports.get(1), "the report does not depend on the partition count");
        JsonNode report = reports.get(0);
        assertEquals(DataReport.FORMAT, report.get("format").asText());
        assertEquals(1, report.at("/reading/errorCount").asLong());
        assertEquals(inputs.get(3), report.at("/reading/errors/0/file").asText());
        assertEquals(1, report.at("/reading/errors/0/line").asLong());
        assertTrue(report.at("/dedup/rates/2/removedAcrossDumps").asLong() > 0);
        assertTrue(report.at("/steps/filtered").asLong() > 0);
        for (JsonNode output : report.get("outputs")) {
            byte[] one = Files.readAllBytes(dir.resolve("out1").resolve(output.get("file").asText()));
            assertArrayEquals(one, Files.readAllBytes(dir.resolve("out3").resolve(output.get("file").asText())));
            assertEquals(output.get("sha256").asText(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(one)));
        }
        assertEquals(4, report.get("outputs").size());
        assertTrue(out.toString().contains("across dumps"), out.toString());
        try (var leftovers = Files.list(dir.resolve("out1"))) {
            assertEquals(5, leftovers.count(), "four shards and the duplicates, no work or partial files");
        }
        List<String> clusters = Files.readAllLines(dir.resolve("out1").resolve(report.get("duplicates").asText()));
        assertEquals(report.at("/dedup/clusters").asLong(), clusters.size());
        assertArrayEquals(Files.readAllBytes(dir.resolve("out1/duplicates.jsonl")), Files.readAllBytes(dir.resolve("out3/duplicates.jsonl")));
        assertTrue(clusters.get(0).contains("\"reason\":\"earliest dump"), clusters.get(0));
    }

    @Test
    void aConfigFileChangesTheRunAndUnmetTargetsAreReported() throws Exception {
        Path config = Path.of(getClass().getResource("/data/remix-config.yaml").toURI());
        List<String> words = new ArrayList<>(List.of("run", "--config", config.toString(), "--out", dir.resolve("out").toString(),
                "--report", dir.resolve("r.json").toString(), "--input"));
        words.addAll(inputs());
        assertEquals(0, run(words.toArray(String[]::new)), err.toString());
        JsonNode report = new ObjectMapper().readTree(dir.resolve("r.json").toFile());
        assertEquals(0.75, report.at("/config/dedup/threshold").asDouble());
        assertEquals(2, report.at("/config/partitions").asInt());
        assertEquals(128, report.at("/config/dedup/permutations").asInt(), "unnamed settings keep their defaults");
        assertEquals("domain 'news' has weight 0.1 but no documents", report.at("/remix/notes/0").asText());
        assertTrue(out.toString().contains("remix: domain 'news' has weight 0.1 but no documents"), out.toString());
    }

    @Test
    void tooManyBadRecordsFailWithFileAndLineAndWriteNoReport() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.jsonl"), "{\"text\":\"fine\"}\nnot json\nnot json either\n");
        assertEquals(1, run("run", "--input", bad.toString(), "--out", dir.resolve("out").toString(),
                "--report", dir.resolve("r.json").toString()));
        assertTrue(err.toString().startsWith("data: 2 of 3 input records (66.7 %) could not be read, above the limit of 5.0 %; first: "
                + bad + ":2: malformed JSON"), err.toString());
        assertFalse(Files.exists(dir.resolve("r.json")));
    }

    @Test
    void badUsageIsAUsageError() {
        assertThrows(Args.UsageException.class, () -> run("run", "--input", "x.jsonl", "--report", "r.json"));
        assertThrows(Args.UsageException.class, () -> run("go"));
        assertThrows(Args.UsageException.class, () -> run("run", "--input", "x", "--out", "o", "--report", "r", "--colour"));
    }
}
