package dev.lmforge.services.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lmforge.services.RealStack;
import dev.lmforge.services.artifacts.Digests;
import dev.lmforge.services.ledger.Records.LineageGraph;
import dev.lmforge.services.ledger.Records.NewRun;
import dev.lmforge.services.ledger.Records.StageRecord;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ledger on a real PostgreSQL: runs, stages, reuse, lineage, attempts, metrics. */
class MetadataStoreTest {

    @TempDir
    static Path dir;
    static RealStack stack;
    static MetadataStore ledger;

    @BeforeAll
    static void start() {
        stack = RealStack.start(dir);
        ledger = stack.ledger();
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    private static String artifact(String name, String kind) {
        String digest = Digests.sha256(name);
        ledger.recordArtifact(digest, kind, name.length(), "{}");
        return digest;
    }

    private static void run(String id) {
        ledger.createRun(new NewRun(id, "test", null, "alice", "{}", "name: test", List.of(), null));
    }

    @Test
    void lineageWalksUpToTheRawInputsAndDownToEverythingMadeFromThem() {
        run("run-lineage");
        String dumpA = artifact("dump a", "raw-dump");
        String dumpB = artifact("dump b", "raw-dump");
        String corpus = artifact("corpus", "corpus");
        String model = artifact("model", "model");
        long data = ledger.beginStage("run-lineage", "data", 1, "key-data", "{}", Map.of("raw-0", dumpA, "raw-1", dumpB), null);
        ledger.stageSucceeded(data, Map.of("corpus", corpus), "{\"documents\": 2}");
        long train = ledger.beginStage("run-lineage", "pretrain", 1, "key-train", "{}", Map.of("corpus", corpus), null);
        ledger.stageSucceeded(train, Map.of("model", model), "{}");

        LineageGraph up = ledger.lineage(model, true);
        assertEquals(Set.of(dumpA, dumpB, corpus, model), up.artifacts().stream().map(Records.ArtifactRecord::digest).collect(Collectors.toSet()));
        assertEquals(Set.of(data, train), up.stages().stream().map(Records.LineageStage::id).collect(Collectors.toSet()));

        LineageGraph down = ledger.lineage(dumpA, false);
        assertEquals(Set.of(dumpA, corpus, model), down.artifacts().stream().map(Records.ArtifactRecord::digest).collect(Collectors.toSet()));
        assertTrue(down.edges().stream().noneMatch(e -> e.artifact().equals(dumpB) && e.direction().equals("produced")));
    }

    @Test
    void recentStageFiguresAreTheNewestSucceededRunsOfTheStageNotItsReusesOrFailures() {
        run("run-figures");
        long slow = ledger.beginStage("run-figures", "pretrain", 1, "key-figures-1", "{}", Map.of(), null);
        ledger.stageSucceeded(slow, Map.of(), "{\"modelFlopsPerSecond\": 1.0e9}");
        long fast = ledger.beginStage("run-figures", "pretrain", 1, "key-figures-2", "{}", Map.of(), null);
        ledger.stageSucceeded(fast, Map.of(), "{\"modelFlopsPerSecond\": 3.0e9}");
        ledger.beginStage("run-figures", "pretrain", 1, "key-figures-2", "{}", Map.of(), fast);
        long failed = ledger.beginStage("run-figures", "pretrain", 1, "key-figures-3", "{}", Map.of(), null);
        ledger.stageEnded(failed, "FAILED", "boom");
        long other = ledger.beginStage("run-figures", "pretrain", 1, "key-figures-4", "{}", Map.of(), null);
        ledger.stageSucceeded(other, Map.of(), "{\"steps\": 10}");

        assertEquals(List.of(3.0e9, 1.0e9), ledger.recentStageFigures("pretrain", "modelFlopsPerSecond", 5));
        assertEquals(List.of(3.0e9), ledger.recentStageFigures("pretrain", "modelFlopsPerSecond", 1));
        assertEquals(List.of(), ledger.recentStageFigures("align", "modelFlopsPerSecond", 5));
    }

    @Test
    void aReusedStageIsBornReusedWithTheSameOutputsMarkedAsReused() {
        run("run-first");
        run("run-second");
        String input = artifact("input", "raw-dump");
        String output = artifact("output", "corpus");
        long first = ledger.beginStage("run-first", "data", 1, "key-reuse", "{}", Map.of("raw-0", input), null);
        ledger.stageSucceeded(first, Map.of("corpus", output), "{\"documents\": 7}");
        StageRecord hit = ledger.succeededStageWithKey("key-reuse").orElseThrow();
        assertEquals(first, hit.id());

        long second = ledger.beginStage("run-second", "data", 1, "key-reuse", "{}", Map.of("raw-0", input), first);
        StageRecord reused = ledger.stage(second).orElseThrow();
        assertEquals("REUSED", reused.status());
        assertEquals(first, reused.reusedFrom());
        assertEquals(Map.of("corpus", output), reused.outputs());
        assertEquals(Map.of("documents", 7.0), MetadataStore.summaryOf(reused.summary()));
        assertTrue(ledger.lineage(output, true).edges().stream().anyMatch(e -> e.stageId() == second && e.reused()));
    }

    @Test
    void aRetryMarksTheLostAttemptAndInterruptingARunClosesItsOpenStages() {
        run("run-attempts");
        long stage = ledger.beginStage("run-attempts", "data", 1, "key-attempts", "{}", Map.of(), null);
        ledger.attemptStarted(stage, 1, "worker-a", null);
        ledger.attemptStarted(stage, 2, "worker-b", "{\"parts\":1}");
        StageRecord row = ledger.stage(stage).orElseThrow();
        assertEquals("LOST", row.attempts().get(0).status());
        assertEquals("worker-b", row.attempts().get(1).worker());
        assertEquals("{\"parts\":1}", row.attempts().get(1).resumedFromCheckpoint());

        ledger.setRunStatus("run-attempts", "RUNNING", null);
        ledger.interruptRun("run-attempts", "server restarted");
        assertEquals("INTERRUPTED", ledger.run("run-attempts").orElseThrow().status());
        assertEquals("INTERRUPTED", ledger.stage(stage).orElseThrow().status());
        assertEquals("LOST", ledger.stage(stage).orElseThrow().attempts().get(1).status());
        // A terminal run is not revived by a late status write.
        ledger.setRunStatus("run-attempts", "RUNNING", null);
        assertEquals("INTERRUPTED", ledger.run("run-attempts").orElseThrow().status());
    }

    @Test
    void runsArePagedNewestFirstAndFilteredByStatusAsSummariesOfTheirPlannedStages() {
        for (int i = 0; i < 5; i++) {
            run("run-page-" + i);
        }
        ledger.setRunStatus("run-page-4", "RUNNING", null);
        Records.Page<Records.RunSummary> page = ledger.runSummaries("QUEUED", null, null, 2, 0);
        assertEquals(2, page.items().size());
        assertTrue(page.total() >= 4);
        assertTrue(ledger.runSummaries("RUNNING", null, null, 10, 0).items().stream().anyMatch(r -> r.id().equals("run-page-4")));

        ledger.createRun(new NewRun("run-summary", "summarised", null, "alice", "{}", "", List.of("data", "tokenizer", "plan"), null));
        long first = ledger.beginStage("run-summary", "data", 1, "key-summary-data-1", "{}", Map.of(), null);
        ledger.stageEnded(first, "FAILED", "lost");
        ledger.beginStage("run-summary", "data", 1, "key-summary-data-2", "{}", Map.of(), null);
        ledger.beginStage("run-summary", "tokenizer", 1, "key-summary-tok", "{}", Map.of(), null);
        Records.RunSummary summary = ledger.runSummaries(null, "summarised", null, 10, 0).items().get(0);
        assertEquals(List.of(new Records.StageProgress("data", "RUNNING"), new Records.StageProgress("tokenizer", "RUNNING"),
                new Records.StageProgress("plan", "PENDING")), summary.stages(), "each planned stage's newest row, in order");
        assertEquals("alice", summary.owner());
    }

    @Test
    void runsStoredBeforeSummariesGetTheirPlannedStagesFromTheirSpecs() throws SQLException {
        // A schema of its own at version 6, with runs in it, then migrated on.
        Flyway flyway = Flyway.configure().dataSource(ledger.dataSource()).locations("classpath:db/lmforge")
                .schemas("before_summaries").target("6").load();
        flyway.migrate();
        ledger.query("INSERT INTO before_summaries.runs (id, name, owner, spec, spec_source, status) VALUES "
                + "('run-some', 'n', 'alice', '{\"stages\": [\"plan\", \"data\"]}', '', 'QUEUED'), "
                + "('run-all', 'n', 'alice', '{\"stages\": null, \"name\": \"n\"}', '', 'QUEUED') RETURNING id", rs -> null);
        Flyway.configure().dataSource(ledger.dataSource()).locations("classpath:db/lmforge").schemas("before_summaries")
                .load().migrate();
        Map<String, String> planned = ledger.query("SELECT id, array_to_string(planned_stages, ',') FROM before_summaries.runs",
                rs -> Map.entry(rs.getString(1), rs.getString(2))).stream().collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        assertEquals(Map.of("run-some", "data,plan", "run-all", "data,tokenizer,plan,pretrain,evaluate-base,align,evaluate-chat"),
                planned, "in lifecycle order; a spec naming no stages runs them all");
        try (Connection c = ledger.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA before_summaries CASCADE");
        }
    }

    @Test
    void aLongMetricSeriesIsDownsampledOnTheServerKeepingItsLastPoint() {
        run("run-metrics");
        List<Records.MetricPoint> points = new ArrayList<>();
        for (int step = 0; step < 1000; step++) {
            points.add(new Records.MetricPoint(step, 10.0 - step / 100.0));
        }
        ledger.recordMetrics("run-metrics", "pretrain", "loss", points);
        var series = ledger.metricSeries("run-metrics", "pretrain", "loss", 100);
        assertTrue(series.size() <= 100 && series.size() > 90, "at most 100 points, got " + series.size());
        assertEquals(0, series.get(0).step());
        assertEquals(999, series.get(series.size() - 1).step());
        for (int max : new int[] {2, 3, 7, 999, 1000, 5000}) {
            int got = ledger.metricSeries("run-metrics", "pretrain", "loss", max).size();
            assertTrue(got <= max && got >= Math.min(max, 1000) / 2, max + " points asked, " + got + " given");
        }
        var summary = ledger.metricSummaries("run-metrics").get(0);
        assertEquals(1000, summary.points());
        assertEquals(999, summary.lastStep());
    }

    @Test
    void evaluationFiguresAreKeptPerTaskAndMetricAndARerunReplacesThem() {
        run("run-eval");
        String model = artifact("model for eval", "model");
        ledger.recordEvaluations(List.of(
                new Records.EvaluationResult("run-eval", "evaluate-base", model, "held-out", "bits_per_byte", 1.25, 5000, null),
                new Records.EvaluationResult("run-eval", "evaluate-base", model, "arithmetic", "acc", 0.5, 100, 0.05)));
        ledger.recordEvaluations(List.of(
                new Records.EvaluationResult("run-eval", "evaluate-base", model, "arithmetic", "acc", 0.6, 100, 0.049)));
        List<Records.EvaluationResult> results = ledger.evaluations("run-eval");
        assertEquals(List.of("arithmetic", "held-out"), results.stream().map(Records.EvaluationResult::task).toList());
        assertEquals(0.6, results.get(0).value());
        assertEquals(0.049, results.get(0).stderr());
        assertEquals(null, results.get(1).stderr());
    }

    @Test
    void checkpointsAreFoundByCacheKeyNewestFirstAndSharedBytesSurviveAPrune() {
        run("run-ckpt");
        String a = artifact("ckpt a", "checkpoint");
        String b = artifact("ckpt b", "checkpoint");
        ledger.recordCheckpoint("k1", 10, "periodic", a, "run-ckpt");
        ledger.recordCheckpoint("k1", 30, "final", b, "run-ckpt");
        ledger.recordCheckpoint("k1", 20, "periodic", b, "run-ckpt");
        ledger.recordCheckpoint("k2", 10, "periodic", a, "run-ckpt");
        assertEquals(List.of(30L, 20L, 10L), ledger.checkpoints("k1").stream().map(Records.CheckpointRecord::step).toList());
        assertEquals(false, ledger.pruneCheckpoint("k1", 10, "periodic"), "k2 still uses its bytes");
        assertEquals(true, ledger.pruneCheckpoint("k2", 10, "periodic"));
        assertEquals(List.of(30L, 20L), ledger.checkpoints("k1").stream().map(Records.CheckpointRecord::step).toList());
    }
}
