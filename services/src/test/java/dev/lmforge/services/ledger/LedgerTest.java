package dev.lmforge.services.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lmforge.services.RealStack;
import dev.lmforge.services.artifacts.Digests;
import dev.lmforge.services.ledger.Records.AttemptRecord;
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

/** The ledger's stores on a real PostgreSQL: runs, stages, reuse, lineage, attempts, checkpoints, metrics, evaluations. */
class LedgerTest {

    @TempDir
    static Path dir;
    static RealStack stack;
    static RunStore runs;
    static ArtifactLedger artifacts;
    static MetricStore metrics;
    static Jdbc jdbc;

    @BeforeAll
    static void start() {
        stack = RealStack.start(dir);
        runs = stack.ledger().runs();
        artifacts = stack.ledger().artifacts();
        metrics = stack.ledger().metrics();
        jdbc = stack.ledger().jdbc();
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    private static String artifact(String name, String kind) {
        String digest = Digests.sha256(name);
        artifacts.recordArtifact(digest, kind, name.length(), "{}");
        return digest;
    }

    private static void run(String id) {
        runs.createRun(new NewRun(id, "test", null, "alice", "{}", "name: test", List.of(), null));
    }

    @Test
    void lineageWalksUpToTheRawInputsAndDownToEverythingMadeFromThem() {
        run("run-lineage");
        String dumpA = artifact("dump a", "raw-dump");
        String dumpB = artifact("dump b", "raw-dump");
        String corpus = artifact("corpus", "corpus");
        String model = artifact("model", "model");
        long data = runs.beginStage("run-lineage", "data", 1, "key-data", "{}", Map.of("raw-0", dumpA, "raw-1", dumpB), null);
        runs.stageSucceeded(data, Map.of("corpus", corpus), "{\"documents\": 2}");
        long train = runs.beginStage("run-lineage", "pretrain", 1, "key-train", "{}", Map.of("corpus", corpus), null);
        runs.stageSucceeded(train, Map.of("model", model), "{}");

        LineageGraph up = artifacts.lineage(model, true);
        assertEquals(Set.of(dumpA, dumpB, corpus, model), up.artifacts().stream().map(Records.ArtifactRecord::digest).collect(Collectors.toSet()));
        assertEquals(Set.of(data, train), up.stages().stream().map(Records.LineageStage::id).collect(Collectors.toSet()));

        LineageGraph down = artifacts.lineage(dumpA, false);
        assertEquals(Set.of(dumpA, corpus, model), down.artifacts().stream().map(Records.ArtifactRecord::digest).collect(Collectors.toSet()));
        assertTrue(down.edges().stream().noneMatch(e -> e.artifact().equals(dumpB) && e.direction().equals("produced")));
    }

    @Test
    void recentStageFiguresAreTheNewestSucceededRunsOfTheStageNotItsReusesOrFailures() {
        run("run-figures");
        long slow = runs.beginStage("run-figures", "pretrain", 1, "key-figures-1", "{}", Map.of(), null);
        runs.stageSucceeded(slow, Map.of(), "{\"modelFlopsPerSecond\": 1.0e9}");
        long fast = runs.beginStage("run-figures", "pretrain", 1, "key-figures-2", "{}", Map.of(), null);
        runs.stageSucceeded(fast, Map.of(), "{\"modelFlopsPerSecond\": 3.0e9}");
        runs.beginStage("run-figures", "pretrain", 1, "key-figures-2", "{}", Map.of(), fast);
        long failed = runs.beginStage("run-figures", "pretrain", 1, "key-figures-3", "{}", Map.of(), null);
        runs.stageEnded(failed, "FAILED", "boom");
        long other = runs.beginStage("run-figures", "pretrain", 1, "key-figures-4", "{}", Map.of(), null);
        runs.stageSucceeded(other, Map.of(), "{\"steps\": 10}");

        assertEquals(List.of(3.0e9, 1.0e9), runs.recentStageFigures("pretrain", "modelFlopsPerSecond", 5));
        assertEquals(List.of(3.0e9), runs.recentStageFigures("pretrain", "modelFlopsPerSecond", 1));
        assertEquals(List.of(), runs.recentStageFigures("align", "modelFlopsPerSecond", 5));
    }

    @Test
    void aReusedStageIsBornReusedWithTheSameOutputsMarkedAsReused() {
        run("run-first");
        run("run-second");
        String input = artifact("input", "raw-dump");
        String output = artifact("output", "corpus");
        long first = runs.beginStage("run-first", "data", 1, "key-reuse", "{}", Map.of("raw-0", input), null);
        runs.stageSucceeded(first, Map.of("corpus", output), "{\"documents\": 7}");
        StageRecord hit = runs.succeededStageWithKey("key-reuse").orElseThrow();
        assertEquals(first, hit.id());

        long second = runs.beginStage("run-second", "data", 1, "key-reuse", "{}", Map.of("raw-0", input), first);
        StageRecord reused = runs.stage(second).orElseThrow();
        assertEquals("REUSED", reused.status());
        assertEquals(first, reused.reusedFrom());
        assertEquals(Map.of("corpus", output), reused.outputs());
        assertEquals(Map.of("documents", 7.0), LedgerJson.summaryOf(reused.summary()));
        assertTrue(artifacts.lineage(output, true).edges().stream().anyMatch(e -> e.stageId() == second && e.reused()));
    }

    @Test
    void aRetryMarksTheLostAttemptAndInterruptingARunClosesItsOpenStages() {
        run("run-attempts");
        long stage = runs.beginStage("run-attempts", "data", 1, "key-attempts", "{}", Map.of(), null);
        runs.attemptStarted(stage, 1, "worker-a", null);
        runs.attemptStarted(stage, 2, "worker-b", "{\"parts\":1}");
        StageRecord row = runs.stage(stage).orElseThrow();
        assertEquals("LOST", row.attempts().get(0).status());
        assertEquals("worker-b", row.attempts().get(1).worker());
        assertEquals("{\"parts\":1}", row.attempts().get(1).resumedFromCheckpoint());

        runs.setRunStatus("run-attempts", "RUNNING", null);
        runs.interruptRun("run-attempts", "server restarted");
        assertEquals("INTERRUPTED", runs.run("run-attempts").orElseThrow().status());
        assertEquals("INTERRUPTED", runs.stage(stage).orElseThrow().status());
        assertEquals("LOST", runs.stage(stage).orElseThrow().attempts().get(1).status());
        // A terminal run is not revived by a late status write.
        runs.setRunStatus("run-attempts", "RUNNING", null);
        assertEquals("INTERRUPTED", runs.run("run-attempts").orElseThrow().status());
    }

    /**
     * A retry waits to be audited until the control plane marks it, with the attempt before it; a stage that ends
     * closes the attempt a dead worker left running.
     */
    @Test
    void retriesWaitForTheirAuditAndAnEndedStageLeavesNoAttemptRunning() {
        run("run-retries");
        long stage = runs.beginStage("run-retries", "data", 1, "key-retries", "{}", Map.of(), null);
        runs.attemptStarted(stage, 1, "worker-a", null);
        runs.attemptEnded(stage, 1, "FAILED", "java.io.IOException: gone");
        runs.attemptStarted(stage, 2, "worker-b", null);
        List<RunStore.Retry> pending = runs.unauditedRetries(stage);
        assertEquals(1, pending.size());
        assertEquals(2, pending.get(0).attempt());
        assertEquals("worker-b", pending.get(0).worker());
        assertEquals("FAILED", pending.get(0).previousStatus());
        assertEquals("java.io.IOException: gone", pending.get(0).previousError());
        assertTrue(runs.unauditedRetries(null).stream().anyMatch(r -> r.stageId() == stage));
        runs.retryAudited(stage, 2);
        assertEquals(List.of(), runs.unauditedRetries(stage));

        assertTrue(runs.stageEnded(stage, "CANCELLED", "cancelled"));
        AttemptRecord second = runs.stage(stage).orElseThrow().attempts().get(1);
        assertEquals("LOST", second.status());
        assertTrue(second.error().contains("stopped before the stage ended CANCELLED"), second.error());
    }

    @Test
    void runsArePagedNewestFirstAndFilteredByStatusAsSummariesOfTheirPlannedStages() {
        for (int i = 0; i < 5; i++) {
            run("run-page-" + i);
        }
        runs.setRunStatus("run-page-4", "RUNNING", null);
        Records.Page<Records.RunSummary> page = runs.runSummaries("QUEUED", null, null, 2, 0);
        assertEquals(2, page.items().size());
        assertTrue(page.total() >= 4);
        assertTrue(runs.runSummaries("RUNNING", null, null, 10, 0).items().stream().anyMatch(r -> r.id().equals("run-page-4")));

        runs.createRun(new NewRun("run-summary", "summarised", null, "alice", "{}", "", List.of("data", "tokenizer", "plan"), null));
        long first = runs.beginStage("run-summary", "data", 1, "key-summary-data-1", "{}", Map.of(), null);
        runs.stageEnded(first, "FAILED", "lost");
        runs.beginStage("run-summary", "data", 1, "key-summary-data-2", "{}", Map.of(), null);
        runs.beginStage("run-summary", "tokenizer", 1, "key-summary-tok", "{}", Map.of(), null);
        Records.RunSummary summary = runs.runSummaries(null, "summarised", null, 10, 0).items().get(0);
        assertEquals(List.of(new Records.StageProgress("data", "RUNNING"), new Records.StageProgress("tokenizer", "RUNNING"),
                new Records.StageProgress("plan", "PENDING")), summary.stages(), "each planned stage's newest row, in order");
        assertEquals("alice", summary.owner());
    }

    @Test
    void runsStoredBeforeSummariesGetTheirPlannedStagesFromTheirSpecs() throws SQLException {
        // A schema of its own at version 6, with runs in it, then migrated on.
        Flyway flyway = Flyway.configure().dataSource(jdbc.dataSource()).locations("classpath:db/lmforge")
                .schemas("before_summaries").target("6").load();
        flyway.migrate();
        jdbc.query("INSERT INTO before_summaries.runs (id, name, owner, spec, spec_source, status) VALUES "
                + "('run-some', 'n', 'alice', '{\"stages\": [\"plan\", \"data\"]}', '', 'QUEUED'), "
                + "('run-all', 'n', 'alice', '{\"stages\": null, \"name\": \"n\"}', '', 'QUEUED') RETURNING id", rs -> null);
        Flyway.configure().dataSource(jdbc.dataSource()).locations("classpath:db/lmforge").schemas("before_summaries")
                .load().migrate();
        Map<String, String> planned = jdbc.query("SELECT id, array_to_string(planned_stages, ',') FROM before_summaries.runs",
                rs -> Map.entry(rs.getString(1), rs.getString(2))).stream().collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        assertEquals(Map.of("run-some", "data,plan", "run-all", "data,tokenizer,plan,pretrain,evaluate-base,align,evaluate-chat"),
                planned, "in lifecycle order; a spec naming no stages runs them all");
        try (Connection c = jdbc.dataSource().getConnection(); Statement st = c.createStatement()) {
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
        metrics.recordMetrics("run-metrics", "pretrain", "loss", points);
        var series = metrics.metricSeries("run-metrics", "pretrain", "loss", 100);
        assertTrue(series.size() <= 100 && series.size() > 90, "at most 100 points, got " + series.size());
        assertEquals(0, series.get(0).step());
        assertEquals(999, series.get(series.size() - 1).step());
        for (int max : new int[] {2, 3, 7, 999, 1000, 5000}) {
            int got = metrics.metricSeries("run-metrics", "pretrain", "loss", max).size();
            assertTrue(got <= max && got >= Math.min(max, 1000) / 2, max + " points asked, " + got + " given");
        }
        var summary = metrics.metricSummaries("run-metrics").get(0);
        assertEquals(1000, summary.points());
        assertEquals(999, summary.lastStep());
    }

    @Test
    void evaluationFiguresAreKeptPerTaskAndMetricAndARerunReplacesThem() {
        run("run-eval");
        String model = artifact("model for eval", "model");
        metrics.recordEvaluations(List.of(
                new Records.EvaluationResult("run-eval", "evaluate-base", model, "held-out", "bits_per_byte", 1.25, 5000, null),
                new Records.EvaluationResult("run-eval", "evaluate-base", model, "arithmetic", "acc", 0.5, 100, 0.05)));
        metrics.recordEvaluations(List.of(
                new Records.EvaluationResult("run-eval", "evaluate-base", model, "arithmetic", "acc", 0.6, 100, 0.049)));
        List<Records.EvaluationResult> results = metrics.evaluations("run-eval");
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
        artifacts.recordCheckpoint("k1", 10, "periodic", a, "run-ckpt");
        artifacts.recordCheckpoint("k1", 30, "final", b, "run-ckpt");
        artifacts.recordCheckpoint("k1", 20, "periodic", b, "run-ckpt");
        artifacts.recordCheckpoint("k2", 10, "periodic", a, "run-ckpt");
        assertEquals(List.of(30L, 20L, 10L), artifacts.checkpoints("k1").stream().map(Records.CheckpointRecord::step).toList());
        assertEquals(false, artifacts.pruneCheckpoint("k1", 10, "periodic"), "k2 still uses its bytes");
        assertEquals(true, artifacts.pruneCheckpoint("k2", 10, "periodic"));
        assertEquals(List.of(30L, 20L), artifacts.checkpoints("k1").stream().map(Records.CheckpointRecord::step).toList());
    }
}
