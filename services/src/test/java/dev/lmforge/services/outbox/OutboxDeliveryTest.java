package dev.lmforge.services.outbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.lmforge.services.RealStack;
import dev.lmforge.services.artifacts.Digests;
import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.Outbox;
import dev.lmforge.services.ledger.Outbox.DeliveryStatus;
import dev.lmforge.services.ledger.Outbox.OutboxEvent;
import dev.lmforge.services.ledger.Outbox.TeamIntegration;
import dev.lmforge.services.ledger.Records.EvaluationResult;
import dev.lmforge.services.ledger.Records.LineageGraph;
import dev.lmforge.services.ledger.Records.MetricPoint;
import dev.lmforge.services.ledger.Records.NewRun;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outbox against the real things: PostgreSQL (the ledger and the outbox), a real MLflow tracking server from
 * PyPI, and a local HTTP endpoint receiving OpenLineage events through the official client's HTTP transport, each
 * validated against the vendored OpenLineage JSON schemas. A demo-like lifecycle (data, tokenizer, plan, pretrain,
 * evaluate) is written to the ledger the way the control plane's ledger activities write it, with the same hooks.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OutboxDeliveryTest {

    static final int LOSS_POINTS = 1200; // more than one log-batch of 1000
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static RealStack stack;
    static Ledger ledger;
    static Outbox outbox;
    static int mlflowPort;
    static MlflowServer mlflow;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        stack = RealStack.start(dir.resolve("stack"));
        ledger = stack.ledger();
        outbox = new Outbox(ledger.jdbc());
        mlflowPort = MlflowServer.freePort();
        mlflow = new MlflowServer(dir.resolve("mlflow"), mlflowPort);
        MlflowServer.command(); // installs MLflow before anything is timed
    }

    @AfterAll
    static void stop() throws Exception {
        mlflow.close();
        stack.close();
    }

    static IntegrationSettings settings(String openLineageUrl, String mlflowUri) {
        return new IntegrationSettings(openLineageUrl, null, "lmforge-test", mlflowUri, "team", "http://console.test",
                "test", Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(400), 1000, Duration.ZERO,
                null, false);
    }

    static OutboxDeliverer deliverer(IntegrationSettings s) {
        return new OutboxDeliverer(outbox, Map.of(Outbox.OPENLINEAGE, new OpenLineageSink(s, outbox),
                Outbox.MLFLOW, new MlflowSink(ledger, outbox, s, stack.artifacts())), s, new OutboxEvents(ledger, outbox, s));
    }

    /** The artifacts and stage rows of one demo lifecycle. */
    record Lifecycle(String runId, String family, String model, Map<String, Long> rows) {
    }

    static String artifact(String name, String kind) {
        String digest = Digests.sha256(name);
        ledger.artifacts().recordArtifact(digest, kind, name.length() * 1000L, "{}");
        return digest;
    }

    /**
     * A lifecycle written as LedgerActivitiesImpl writes it, each change followed by its hook. With {@code reuse},
     * the data stage is a cache hit on that lifecycle's data row (and reads the same raw dump).
     */
    static Lifecycle lifecycle(OutboxEvents events, String runId, String team, Lifecycle reuse) {
        String family = reuse == null ? runId : reuse.family();
        Long reuseData = reuse == null ? null : reuse.rows().get("data");
        String spec = "{\"name\":\"demo\",\"training\":{\"steps\":" + LOSS_POINTS + ",\"lr\":0.001},"
                + "\"corpus\":{\"sources\":[{\"path\":\"samples/corpus\"}]},\"notes\":\"" + "x".repeat(7000) + "\"}";
        ledger.runs().createRun(new NewRun(runId, "demo", team, "alice", spec, "name: demo",
                List.of("data", "tokenizer", "plan", "pretrain", "evaluate"), null));
        status(events, runId, "RUNNING");
        Map<String, Long> rows = new LinkedHashMap<>();
        String dump = artifact("dump " + family, "raw-dump");
        String corpus = artifact("corpus " + family, "corpus");
        rows.put("data", stage(events, runId, "data", Map.of("raw-0", dump), Map.of("corpus", corpus), reuseData));
        String tokenizer = artifact("tokenizer " + runId, "tokenizer");
        String shards = artifact("shards " + runId, "token-shards");
        rows.put("tokenizer", stage(events, runId, "tokenizer", Map.of("corpus", corpus),
                Map.of("tokenizer", tokenizer, "shards", shards), null));
        String plan = artifact("plan " + runId, "plan");
        rows.put("plan", stage(events, runId, "plan", Map.of(), Map.of("plan", plan), null));
        String model = artifact("model " + runId, "model");
        List<MetricPoint> loss = new ArrayList<>();
        for (int step = 1; step <= LOSS_POINTS; step++) {
            loss.add(new MetricPoint(step, 10.0 / Math.sqrt(step)));
        }
        rows.put("pretrain", stageWith(events, runId, "pretrain", Map.of("shards", shards, "plan", plan),
                Map.of("model", model), () -> ledger.metrics().recordMetrics(runId, "pretrain", "loss", loss)));
        String report = artifact("report " + runId, "evaluation-report");
        rows.put("evaluate", stageWith(events, runId, "evaluate", Map.of("model", model), Map.of("report", report),
                () -> ledger.metrics().recordEvaluations(List.of(
                        new EvaluationResult(runId, "evaluate", model, "heldout", "bits_per_byte", 1.25, 4096, 0.01),
                        new EvaluationResult(runId, "evaluate", model, "arc_easy", "accuracy", 0.42, 100, 0.05)))));
        status(events, runId, "SUCCEEDED");
        return new Lifecycle(runId, family, model, rows);
    }

    static void status(OutboxEvents events, String runId, String status) {
        if (ledger.runs().setRunStatus(runId, status, null)) {
            events.runStatusChanged(runId, status);
        }
    }

    static long stage(OutboxEvents events, String runId, String stage, Map<String, String> in, Map<String, String> out,
                      Long reuse) {
        if (reuse != null) {
            long row = ledger.runs().beginStage(runId, stage, 1, "key-" + stage, "{\"stage\":\"" + stage + "\"}", in, reuse);
            events.stageBegun(row);
            return row;
        }
        return stageWith(events, runId, stage, in, out, () -> { });
    }

    static long stageWith(OutboxEvents events, String runId, String stage, Map<String, String> in,
                          Map<String, String> out, Runnable work) {
        long row = ledger.runs().beginStage(runId, stage, 1, "key-" + stage + "-" + runId,
                "{\"stage\":\"" + stage + "\",\"seed\":7}", in, null);
        events.stageBegun(row);
        ledger.runs().claimSlot(row, "cpu", Integer.MAX_VALUE, List.of(stage));
        events.stageRunning(row);
        work.run();
        ledger.runs().stageSucceeded(row, out, "{}");
        events.stageEnded(row);
        return row;
    }

    static void awaitDelivered(String runId, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (outbox.status(runId).stream().allMatch(s -> s.pending() == 0)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("still pending after " + timeout + ": " + outbox.status(runId));
    }

    // ---- the tests

    @Test
    @Order(1)
    void anOutageForTheWholeRunLosesNothingAndDeliversEachEventOnceInOrder() throws Exception {
        int lineagePort = MlflowServer.freePort();
        LineageReceiver receiver = new LineageReceiver(lineagePort, 200);
        IntegrationSettings base = settings(null, null);
        outbox.setTeam(new TeamIntegration("team-outage", receiver.url(), null, mlflow.uri(), null, false));
        outbox.setTeam(new TeamIntegration("team-off", null, null, null, null, true));
        OutboxEvents events = new OutboxEvents(ledger, outbox, base);
        try (OutboxDeliverer deliverer = deliverer(base)) {
            deliverer.start(); // trying all the while, against endpoints that are down
            lifecycle(events, "run-warm-up", "team-outage", null); // class loading and JIT out of the figures
            long t0 = System.nanoTime();
            lifecycle(events, "run-off", "team-off", null);
            long off = System.nanoTime() - t0;
            t0 = System.nanoTime();
            Lifecycle run = lifecycle(events, "run-outage", "team-outage", null);
            long down = System.nanoTime() - t0;
            int queuedCount = outbox.events(run.runId()).size();
            System.out.printf("outbox outage: a 5-stage lifecycle whose stages do no work took %.1f ms with the sinks off, "
                            + "%.1f ms with both sinks down (ratio %.2f; %d events queued, %.1f ms each; %d cores)%n",
                    off / 1e6, down / 1e6, (double) down / off, queuedCount, (down - off) / 1e6 / queuedCount,
                    Runtime.getRuntime().availableProcessors());
            assertTrue(outbox.events("run-off").isEmpty(), "a team with the integrations off queues nothing");
            Thread.sleep(1000);
            List<DeliveryStatus> during = outbox.status(run.runId());
            assertEquals(2, during.size(), during.toString());
            for (DeliveryStatus s : during) {
                assertEquals(0, s.delivered(), s.toString());
                assertTrue(s.pending() > 0 && s.lastError() != null && s.lastError().contains("127.0.0.1"),
                        "the error names the endpoint: " + s);
            }
            receiver.start();
            mlflow.start();
            awaitDelivered(run.runId(), Duration.ofSeconds(60));
            List<OutboxEvent> queued = outbox.events(run.runId());
            assertTrue(queued.stream().allMatch(e -> e.status().equals("delivered")), queued.toString());
            assertTrue(queued.stream().anyMatch(e -> e.attempts() > 1), "some events needed retries");
            String lifecycleRun = new OpenLineageEvents("lmforge-test", "test", d -> java.util.Optional.empty(),
                    d -> java.util.Optional.empty()).lifecycleRunId(run.runId()).toString();
            List<JsonNode> received = new ArrayList<>();
            for (String body : receiver.bodies()) {
                JsonNode e = JSON.readTree(body);
                if (e.path("run").path("runId").asText().equals(lifecycleRun)
                        || e.path("run").path("facets").path("lmforge_stage").path("lmforgeRunId").asText().equals(run.runId())) {
                    received.add(e);
                }
            }
            List<OutboxEvent> lineageQueued = queued.stream().filter(e -> e.sink().equals(Outbox.OPENLINEAGE)).toList();
            assertEquals(lineageQueued.size(), received.size(), "each event arrives once");
            Set<String> keys = new HashSet<>();
            for (int i = 0; i < received.size(); i++) {
                JsonNode e = received.get(i);
                assertTrue(keys.add(e.path("run").path("runId").asText() + "/" + e.path("eventType").asText()),
                        "duplicate " + e.path("eventType") + " of run " + e.path("run").path("runId"));
                assertEquals(JSON.readTree(lineageQueued.get(i).payload()), e, "event " + i + " arrives in queue order");
            }
            assertOneMlflowRunEach(run);
            receiver.close();
        }
    }

    @Test
    @Order(2)
    void mirrorsALifecycleToMlflowAndOpenLineageAsTheirOwnApisSeeIt() throws Exception {
        mlflowUp();
        try (LineageReceiver receiver = new LineageReceiver(MlflowServer.freePort(), 200).start()) {
            IntegrationSettings s = settings(receiver.url(), mlflow.uri());
            OutboxEvents events = new OutboxEvents(ledger, outbox, s);
            Lifecycle first = lifecycle(events, "run-first", "team-a", null);
            Lifecycle run = lifecycle(events, "run-demo", "team-a", first);
            try (OutboxDeliverer deliverer = deliverer(s)) {
                deliverer.start();
                awaitDelivered(first.runId(), Duration.ofSeconds(60));
                awaitDelivered(run.runId(), Duration.ofSeconds(60));
            }
            List<JsonNode> received = new ArrayList<>();
            for (String body : receiver.bodies()) {
                received.add(JSON.readTree(body));
            }
            validateAgainstSchemas(received);
            assertLineageMatchesLedger(received, run.model());
            assertStageEvents(received, run);
            assertMlflowMirror(run);
        }
    }

    @Test
    @Order(3)
    void anEndpointThatRefusesMarksTheEventsFailedNamingItAndTheRunGoesOn() throws Exception {
        try (LineageReceiver refusing = new LineageReceiver(MlflowServer.freePort(), 400).start()) {
            outbox.setTeam(new TeamIntegration("team-refused", refusing.url(), null, null, null, false));
            IntegrationSettings s = settings(null, null);
            Lifecycle run = lifecycle(new OutboxEvents(ledger, outbox, s), "run-refused", "team-refused", null);
            assertEquals("SUCCEEDED", ledger.runs().run(run.runId()).orElseThrow().status());
            try (OutboxDeliverer deliverer = deliverer(s)) {
                for (int i = 0; i < 50 && outbox.status(run.runId()).get(0).pending() > 0; i++) {
                    deliverer.deliverDue();
                }
            }
            DeliveryStatus status = outbox.status(run.runId()).get(0);
            assertEquals(0, status.pending());
            assertEquals(outbox.events(run.runId()).size(), status.failed(), "every event failed at once, no retries");
            assertTrue(status.lastError().contains("HTTP 400 from " + refusing.url()), status.lastError());
            assertTrue(outbox.events(run.runId()).stream().allMatch(e -> e.attempts() == 1));
        }
    }


    /**
     * A training stage's progress while it runs, the team's secrets on the wire, and the final model's Hugging Face
     * files in MLflow: the RUNNING progress events keep the rate bound and validate against the facet's schema;
     * every OpenLineage event of the team's run reached the receiver with the team's key as bearer token and those
     * of a run without a team with the process-wide key; every request that reached MLflow (through a recording
     * proxy in front of it) carried the team's token and none the process-wide one; MLflow's own artifact API
     * serves the uploaded {@code hf/} files byte for byte.
     */
    @Test
    @Order(4)
    void progressEventsSecretsAndTheHfModelReachTheRealServers() throws Exception {
        mlflowUp();
        Duration interval = Duration.ofMillis(100);
        try (LineageReceiver receiver = new LineageReceiver(MlflowServer.freePort(), 200).start();
             RecordingProxy proxy = new RecordingProxy(mlflow.uri())) {
            IntegrationSettings s = new IntegrationSettings(receiver.url(), "process-ol-key", "lmforge-test", mlflow.uri(),
                    "team", "http://console.test", "test", Duration.ofMillis(50), Duration.ofMillis(100),
                    Duration.ofMillis(400), 1000, interval, "process-mlflow-token", true);
            outbox.setTeam(new TeamIntegration("team-secret", receiver.url(), null, proxy.url(), null, false,
                    "team-ol-key", "team-mlflow-token"));
            assertFalse(outbox.team("team-secret").orElseThrow().toString().contains("team-ol-key"), "no secret in a log line");
            OutboxEvents events = new OutboxEvents(ledger, outbox, s);

            String runId = "run-progress";
            ledger.runs().createRun(new NewRun(runId, "progress", "team-secret", "alice", "{\"name\":\"progress\"}",
                    "name: progress", List.of("plan", "pretrain"), null));
            status(events, runId, "RUNNING");
            String plan = artifact("plan " + runId, "plan");
            long planRow = ledger.runs().beginStage(runId, "plan", 1, "key-plan-" + runId, "{}", Map.of(), null);
            events.stageBegun(planRow);
            ledger.runs().stageSucceeded(planRow, Map.of("plan", plan), "{\"steps\":400,\"batchTokens\":256}");
            events.stageEnded(planRow);
            Path hf = dir.resolve("hf-model.zip");
            Map<String, byte[]> hfFiles = new LinkedHashMap<>();
            hfFiles.put("hf/config.json", "{\"model_type\":\"llama\"}".getBytes(StandardCharsets.UTF_8));
            byte[] weights = new byte[300_000];
            new java.util.Random(7).nextBytes(weights);
            hfFiles.put("hf/model.safetensors", weights);
            hfFiles.put("hf/tokenizer.json", "{\"version\":\"1.0\"}".getBytes(StandardCharsets.UTF_8));
            try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(java.nio.file.Files.newOutputStream(hf))) {
                for (Map.Entry<String, byte[]> f : hfFiles.entrySet()) {
                    zip.putNextEntry(new java.util.zip.ZipEntry(f.getKey()));
                    zip.write(f.getValue());
                }
                zip.putNextEntry(new java.util.zip.ZipEntry("saved_model/saved_model.pb"));
                zip.write(new byte[1000]);
            }
            var stored = stack.artifacts().put(hf);
            ledger.artifacts().recordArtifact(stored.digest(), "model", stored.sizeBytes(), "{}");

            long row = ledger.runs().beginStage(runId, "pretrain", 1, "key-pretrain-" + runId, "{}", Map.of("plan", plan), null);
            events.stageBegun(row);
            ledger.runs().claimSlot(row, "gpu", Integer.MAX_VALUE, List.of("pretrain"));
            events.stageRunning(row);
            events.queueProgress();
            assertTrue(outbox.progress(runId, row).orElseThrow().events() == 0, "no progress before the first metric");
            // Steps advance until the stage has 4 progress events (however slow a loaded machine makes each round).
            long t0 = System.nanoTime();
            for (int step = 1; outbox.progress(runId, row).orElseThrow().events() < 4; step++) {
                assertTrue(System.nanoTime() - t0 < 60_000_000_000L, "4 progress events within a minute");
                ledger.metrics().recordMetric(runId, "pretrain", "loss", step, 10.0 / step);
                events.queueProgress();
                Thread.sleep(10);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            int progressEvents = outbox.progress(runId, row).orElseThrow().events();
            events.queueProgress(); // nothing new since the last one: nothing queued, whatever the time
            Thread.sleep(interval.toMillis() * 2);
            events.queueProgress();
            assertEquals(progressEvents, outbox.progress(runId, row).orElseThrow().events(), "no new step, no event");
            ledger.runs().stageSucceeded(row, Map.of("model", stored.digest()), "{}");
            events.stageEnded(row);
            events.queueProgress();
            assertEquals(progressEvents, outbox.progress(runId, row).orElseThrow().events(), "an ended stage has no progress");
            status(events, runId, "SUCCEEDED");

            // The rate bound, by the database's clock: the n-th progress event came at least interval·(1+n/60)
            // after the RUNNING event before it.
            List<OutboxEvent> running = outbox.events(runId).stream().filter(e -> e.sink().equals(Outbox.OPENLINEAGE)
                    && e.idempotencyKey().startsWith("openlineage:stage:" + row + ":")
                    && (e.kind().equals("RUNNING") || e.kind().equals(Outbox.PROGRESS))).toList();
            assertEquals(progressEvents + 1, running.size());
            for (int n = 1; n < running.size(); n++) {
                Duration gap = Duration.between(running.get(n - 1).createdAt(), running.get(n).createdAt());
                assertTrue(gap.compareTo(OutboxEvents.progressWait(interval, n - 1)) >= 0, "gap " + gap + " before progress event " + n);
            }
            System.out.printf("outbox progress: %d progress events in %.2f s at interval %d ms (at most %d by the bound)%n",
                    progressEvents, seconds, interval.toMillis(), (int) (seconds / (interval.toMillis() / 1000.0)) + 1);
            assertTrue(progressEvents <= seconds / (interval.toMillis() / 1000.0) + 1,
                    progressEvents + " progress events in " + seconds + " s");
            assertEquals(Duration.ofSeconds(120), OutboxEvents.progressWait(Duration.ofSeconds(60), 60));

            // The process-wide endpoint and key; its model is only a ledger record, with no bytes to upload.
            String lifecycleModel = lifecycle(events, "run-no-team", null, null).model();
            try (OutboxDeliverer deliverer = deliverer(s)) {
                deliverer.start();
                awaitDelivered(runId, Duration.ofSeconds(60));
                awaitDelivered("run-no-team", Duration.ofSeconds(60));
            }
            assertEquals(0, outbox.status(runId).stream().mapToLong(DeliveryStatus::failed).sum(), outbox.status(runId).toString());

            // OpenLineage: progress events valid against the schemas, the bearer tokens as the receiver saw them.
            OpenLineageEvents names = new OpenLineageEvents("lmforge-test", "test", d -> java.util.Optional.empty(), d -> java.util.Optional.empty());
            List<JsonNode> received = new ArrayList<>();
            Map<String, Set<String>> authorizationByRun = new HashMap<>();
            for (LineageReceiver.Received r : receiver.received()) {
                JsonNode e = JSON.readTree(r.body());
                received.add(e);
                String lmforgeRun = e.path("run").path("facets").path("lmforge_stage").path("lmforgeRunId").asText(
                        e.path("run").path("runId").asText().equals(names.lifecycleRunId(runId).toString()) ? runId : "other");
                authorizationByRun.computeIfAbsent(lmforgeRun, k -> new TreeSet<>()).add(String.valueOf(r.authorization()));
            }
            validateAgainstSchemas(received);
            assertEquals(Set.of("Bearer team-ol-key"), authorizationByRun.get(runId));
            assertEquals(Set.of("Bearer process-ol-key"), authorizationByRun.get("run-no-team"));
            List<JsonNode> progress = received.stream().filter(e -> e.path("run").path("runId").asText()
                    .equals(names.stageRunId(row).toString()) && e.path("run").path("facets").has("lmforge_progress")).toList();
            assertEquals(progressEvents, progress.size());
            long lastStep = 0;
            for (int i = 0; i < progress.size(); i++) {
                JsonNode facet = progress.get(i).path("run").path("facets").path("lmforge_progress");
                assertEquals("RUNNING", progress.get(i).path("eventType").asText());
                assertEquals(i + 1, facet.path("sequence").asInt());
                long step = facet.path("step").asLong();
                assertTrue(step > lastStep, "steps advance: " + step + " after " + lastStep);
                lastStep = step;
                assertEquals(400, facet.path("totalSteps").asLong());
                assertEquals(step * 256, facet.path("tokens").asLong());
                assertEquals(10.0 / step, facet.path("loss").asDouble(), 1e-12);
                assertEquals(10.0 / step, facet.path("metrics").path("loss").asDouble(), 1e-12);
            }

            // MLflow: every request through the proxy carried the team's token, never the process-wide one.
            List<RecordingProxy.Request> requests = proxy.requests();
            assertTrue(requests.size() > 5, requests.toString());
            assertEquals(Set.of("Bearer team-mlflow-token"), requests.stream().map(r -> String.valueOf(r.authorization()))
                    .collect(Collectors.toSet()));
            assertEquals(hfFiles.size(), requests.stream().filter(r -> r.method().equals("PUT")
                    && r.path().startsWith("/api/2.0/mlflow-artifacts/artifacts/")).count(), "one upload per hf/ file");

            // The hf/ files as MLflow's own artifact API lists and serves them.
            String exp = experimentId("lmforge/team-secret");
            JsonNode parent = runsTagged(exp, "lmforge.key", "run:" + runId).get(0);
            String parentId = parent.path("info").path("run_id").asText();
            assertTrue(pairs(parent.path("data").path("tags")).get("lmforge.hf_model")
                    .startsWith("logged 3 files (" + hfFiles.values().stream().mapToInt(b -> b.length).sum() + " bytes)"));
            JsonNode listed = get("/api/2.0/mlflow/artifacts/list?run_id=" + parentId + "&path=hf");
            Set<String> paths = new TreeSet<>();
            listed.path("files").forEach(f -> paths.add(f.path("path").asText()));
            assertEquals(new TreeSet<>(hfFiles.keySet()), paths);
            JsonNode noTeam = runsTagged(experimentId("lmforge/no-team"), "lmforge.key", "run:run-no-team").get(0);
            assertEquals("not logged: model " + lifecycleModel + " is not in lmforge's artifact store",
                    pairs(noTeam.path("data").path("tags")).get("lmforge.hf_model"), "a model only in the ledger: said so, the run mirrored");
            String root = parent.path("info").path("artifact_uri").asText().replaceFirst("^mlflow-artifacts:(//[^/]*)?/*", "");
            for (Map.Entry<String, byte[]> f : hfFiles.entrySet()) {
                HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(mlflow.uri()
                        + "/api/2.0/mlflow-artifacts/artifacts/" + root + "/" + f.getKey())).build(), HttpResponse.BodyHandlers.ofByteArray());
                assertEquals(200, r.statusCode());
                assertTrue(java.util.Arrays.equals(f.getValue(), r.body()), f.getKey() + " byte for byte");
            }
        }
    }

    /**
     * However long a stage runs, it queues at most MAX_PROGRESS_EVENTS progress events: with 999 already queued (a
     * day ago, written straight into the table), the next step makes the 1000th and later steps none.
     */
    @Test
    @Order(5)
    void aStageQueuesAtMostTheCapOfProgressEvents() throws Exception {
        IntegrationSettings s = new IntegrationSettings("file:" + dir.resolve("cap.jsonl"), null, "lmforge-test", null,
                "team", "http://console.test", "test", Duration.ofMillis(50), Duration.ofMillis(100),
                Duration.ofMillis(400), 1000, Duration.ofMillis(1), null, false);
        OutboxEvents events = new OutboxEvents(ledger, outbox, s);
        String runId = "run-progress-cap";
        ledger.runs().createRun(new NewRun(runId, "cap", null, "alice", "{}", "name: cap", List.of("pretrain"), null));
        status(events, runId, "RUNNING");
        long row = ledger.runs().beginStage(runId, "pretrain", 1, "key-cap", "{}", Map.of(), null);
        events.stageBegun(row);
        ledger.runs().claimSlot(row, "gpu", Integer.MAX_VALUE, List.of("pretrain"));
        events.stageRunning(row);
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(stack.jdbcUrl(), "postgres", "");
             java.sql.PreparedStatement ps = c.prepareStatement("INSERT INTO outbox_events (run_id, sink, endpoint, "
                     + "idempotency_key, kind, payload, created_at) SELECT ?, 'openlineage', ?, ? || n, 'PROGRESS', "
                     + "jsonb_build_object('run', jsonb_build_object('facets', jsonb_build_object('lmforge_progress', "
                     + "jsonb_build_object('step', n)))), now() - interval '1 day' FROM generate_series(1, ?) n")) {
            ps.setString(1, runId);
            ps.setString(2, s.openLineageUrl());
            ps.setString(3, "openlineage:stage:" + row + ":PROGRESS:");
            ps.setInt(4, OutboxEvents.MAX_PROGRESS_EVENTS - 1);
            ps.executeUpdate();
        }
        assertEquals(OutboxEvents.MAX_PROGRESS_EVENTS - 1, outbox.progress(runId, row).orElseThrow().events());
        for (int step = OutboxEvents.MAX_PROGRESS_EVENTS; step < OutboxEvents.MAX_PROGRESS_EVENTS + 20; step++) {
            ledger.metrics().recordMetric(runId, "pretrain", "loss", step, 1.0);
            Thread.sleep(50); // past interval·(1 + 999/60), about 18 ms
            events.queueProgress();
        }
        assertEquals(OutboxEvents.MAX_PROGRESS_EVENTS, outbox.progress(runId, row).orElseThrow().events());
        assertEquals(OutboxEvents.MAX_PROGRESS_EVENTS, outbox.events(runId).stream().filter(e -> e.kind().equals(Outbox.PROGRESS)).count());
        ledger.runs().stageEnded(row, "CANCELLED", null);
    }

    // ---- OpenLineage checks

    static void validateAgainstSchemas(List<JsonNode> events) {
        Path docs = Path.of("..", "docs", "openlineage").toAbsolutePath().normalize();
        Map<String, String> mappings = new HashMap<>();
        mappings.put("https://openlineage.io/spec/2-0-2/OpenLineage.json", "classpath:openlineage/OpenLineage.json");
        for (String f : List.of("facets/1-2-0/ParentRunFacet", "facets/1-1-1/ProcessingEngineRunFacet",
                "facets/1-0-1/ErrorMessageRunFacet", "facets/2-0-4/JobTypeJobFacet", "facets/1-0-1/StorageDatasetFacet",
                "facets/1-0-1/SymlinksDatasetFacet")) {
            mappings.put("https://openlineage.io/spec/" + f + ".json",
                    "classpath:openlineage/facets/" + f.substring(f.lastIndexOf('/') + 1) + ".json");
        }
        for (String f : List.of("LmforgeStageRunFacet", "LmforgeArtifactDatasetFacet", "LmforgeProgressRunFacet")) {
            mappings.put("https://github.com/lmforge/lmforge/blob/main/docs/openlineage/" + f + ".json",
                    docs.resolve(f + ".json").toUri().toString());
        }
        JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012,
                b -> b.schemaMappers(m -> m.mappings(mappings)));
        Map<String, JsonSchema> schemas = new HashMap<>();
        int facets = 0;
        for (JsonNode event : events) {
            String eventSchema = event.path("schemaURL").asText();
            assertEquals("https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent", eventSchema);
            assertValid(schemas.computeIfAbsent(eventSchema, u -> factory.getSchema(SchemaLocation.of(u))), event);
            List<JsonNode> facetMaps = new ArrayList<>(List.of(event.path("run").path("facets"), event.path("job").path("facets")));
            event.path("inputs").forEach(d -> facetMaps.add(d.path("facets")));
            event.path("outputs").forEach(d -> facetMaps.add(d.path("facets")));
            for (JsonNode map : facetMaps) {
                for (JsonNode facet : map) {
                    String url = facet.path("_schemaURL").asText();
                    assertTrue(mappings.containsKey(url.replaceAll("#.*", "")), "a vendored schema for " + url);
                    assertValid(schemas.computeIfAbsent(url, u -> factory.getSchema(SchemaLocation.of(u))), facet);
                    facets++;
                }
            }
        }
        assertTrue(facets > events.size() * 3, "facets were validated: " + facets);
        // The validator does fail: an event without its run id is refused by the same schema.
        ObjectNode broken = events.get(0).deepCopy();
        ((ObjectNode) broken.path("run")).remove("runId");
        assertFalse(schemas.get("https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent").validate(broken).isEmpty());
    }

    static void assertValid(JsonSchema schema, JsonNode node) {
        Set<ValidationMessage> errors = schema.validate(node);
        assertTrue(errors.isEmpty(), errors + " in " + node);
    }

    /** Walking the received events' inputs and outputs up from the model gives the ledger's lineage graph. */
    static void assertLineageMatchesLedger(List<JsonNode> events, String model) {
        Map<String, Set<String>> producersOf = new HashMap<>(); // dataset → stage rows that output it
        Map<String, Set<String>> inputsOf = new HashMap<>(); // stage row → datasets it read
        for (JsonNode e : events) {
            if (!e.path("eventType").asText().equals("COMPLETE") || !e.path("job").path("name").asText().startsWith("lifecycle.")) {
                continue;
            }
            String row = e.path("run").path("facets").path("lmforge_stage").path("stageRow").asText();
            e.path("outputs").forEach(d -> producersOf.computeIfAbsent(d.path("name").asText(), k -> new TreeSet<>()).add(row));
            e.path("inputs").forEach(d -> inputsOf.computeIfAbsent(row, k -> new TreeSet<>()).add(d.path("name").asText()));
        }
        Set<String> artifacts = new TreeSet<>();
        Set<String> stages = new TreeSet<>();
        List<String> todo = new ArrayList<>(List.of(model));
        while (!todo.isEmpty()) {
            String d = todo.remove(todo.size() - 1);
            if (!artifacts.add(d)) {
                continue;
            }
            for (String row : producersOf.getOrDefault(d, Set.of())) {
                stages.add(row);
                todo.addAll(inputsOf.getOrDefault(row, Set.of()));
            }
        }
        LineageGraph graph = ledger.artifacts().lineage(model, true);
        assertEquals(graph.artifacts().stream().map(a -> a.digest()).collect(Collectors.toCollection(TreeSet::new)), artifacts);
        assertEquals(graph.stages().stream().map(s -> Long.toString(s.id())).collect(Collectors.toCollection(TreeSet::new)), stages);
        assertTrue(stages.size() >= 4, "the walk went back to the raw dump: " + stages);
    }

    static void assertStageEvents(List<JsonNode> events, Lifecycle run) {
        OpenLineageEvents names = new OpenLineageEvents("lmforge-test", "test", d -> java.util.Optional.empty(), d -> java.util.Optional.empty());
        String parent = names.lifecycleRunId(run.runId()).toString();
        Map<String, List<String>> typesByRun = new LinkedHashMap<>();
        events.forEach(e -> typesByRun.computeIfAbsent(e.path("run").path("runId").asText(), k -> new ArrayList<>())
                .add(e.path("eventType").asText()));
        assertEquals(List.of("START", "COMPLETE"), typesByRun.get(parent));
        for (Map.Entry<String, Long> stage : run.rows().entrySet()) {
            String id = names.stageRunId(stage.getValue()).toString();
            boolean reused = stage.getKey().equals("data");
            assertEquals(reused ? List.of("START", "COMPLETE") : List.of("START", "RUNNING", "COMPLETE"), typesByRun.get(id), stage.getKey());
            JsonNode complete = events.stream().filter(e -> e.path("run").path("runId").asText().equals(id)
                    && e.path("eventType").asText().equals("COMPLETE")).findFirst().orElseThrow();
            assertEquals("lifecycle." + stage.getKey(), complete.path("job").path("name").asText());
            assertEquals("lmforge-test", complete.path("job").path("namespace").asText());
            assertEquals(parent, complete.path("run").path("facets").path("parent").path("run").path("runId").asText());
            JsonNode facet = complete.path("run").path("facets").path("lmforge_stage");
            assertEquals(reused, facet.path("reused").asBoolean());
            assertTrue(facet.path("cacheKey").asText().startsWith("key-" + stage.getKey()));
            for (JsonNode out : complete.path("outputs")) {
                JsonNode a = out.path("facets").path("lmforge_artifact");
                assertEquals("s3://test/artifacts/sha256/" + out.path("name").asText().substring(0, 2) + "/"
                        + out.path("name").asText(), a.path("storageUri").asText());
                assertTrue(a.path("sizeBytes").asLong() > 0 && !a.path("kind").asText().isEmpty());
                String producer = a.path("producedBy").path("runId").asText();
                assertEquals(reused, !producer.equals(id), "a reused output names the run that made it: " + producer);
            }
        }
    }

    // ---- MLflow checks, through MLflow's own REST API

    static void mlflowUp() throws Exception {
        try {
            get("/health");
        } catch (java.io.IOException e) {
            mlflow.start();
        }
    }

    static JsonNode get(String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(mlflow.uri() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return path.equals("/health") ? null : JSON.readTree(r.body());
    }

    static JsonNode post(String path, String body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(mlflow.uri() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    static List<JsonNode> runsTagged(String experimentId, String tag, String value) throws Exception {
        JsonNode r = post("/api/2.0/mlflow/runs/search", "{\"experiment_ids\":[\"" + experimentId + "\"],\"filter\":\"tags.`"
                + tag + "` = '" + value + "'\",\"max_results\":1000}");
        List<JsonNode> runs = new ArrayList<>();
        r.path("runs").forEach(runs::add);
        return runs;
    }

    static String experimentId(String name) throws Exception {
        return get("/api/2.0/mlflow/experiments/get-by-name?experiment_name=" + URLEncoder.encode(name, StandardCharsets.UTF_8))
                .path("experiment").path("experiment_id").asText();
    }

    static Map<String, String> pairs(JsonNode list) {
        Map<String, String> m = new HashMap<>();
        list.forEach(p -> m.put(p.path("key").asText(), p.path("value").asText()));
        return m;
    }

    static void assertOneMlflowRunEach(Lifecycle run) throws Exception {
        String exp = experimentId("lmforge/team-outage");
        assertEquals(1, runsTagged(exp, "lmforge.key", "run:" + run.runId()).size());
        for (long row : run.rows().values()) {
            assertEquals(1, runsTagged(exp, "lmforge.key", "stage:" + row).size(), "stage row " + row);
        }
        String pretrain = runsTagged(exp, "lmforge.key", "stage:" + run.rows().get("pretrain")).get(0).path("info").path("run_id").asText();
        assertEquals(LOSS_POINTS, lossHistory(pretrain).size(), "no point logged twice");
    }

    static List<JsonNode> lossHistory(String mlflowRunId) throws Exception {
        List<JsonNode> points = new ArrayList<>();
        String token = "";
        do {
            JsonNode page = get("/api/2.0/mlflow/metrics/get-history?run_id=" + mlflowRunId + "&metric_key=loss&max_results=25000"
                    + (token.isEmpty() ? "" : "&page_token=" + URLEncoder.encode(token, StandardCharsets.UTF_8)));
            page.path("metrics").forEach(points::add);
            token = page.path("next_page_token").asText();
        } while (!token.isEmpty());
        return points;
    }

    static void assertMlflowMirror(Lifecycle run) throws Exception {
        String exp = experimentId("lmforge/team-a");
        List<JsonNode> parents = runsTagged(exp, "lmforge.run_id", run.runId()).stream()
                .filter(r -> !pairs(r.path("data").path("tags")).containsKey("mlflow.parentRunId")).toList();
        assertEquals(1, parents.size());
        JsonNode parent = parents.get(0);
        String parentId = parent.path("info").path("run_id").asText();
        assertEquals("FINISHED", parent.path("info").path("status").asText());
        Map<String, String> tags = pairs(parent.path("data").path("tags"));
        assertEquals("SUCCEEDED", tags.get("lmforge.status"));
        assertEquals("http://console.test/run.html?id=" + run.runId(), tags.get("lmforge.console"));
        Map<String, String> params = pairs(parent.path("data").path("params"));
        assertEquals(Integer.toString(LOSS_POINTS), params.get("training.steps"));
        assertEquals("samples/corpus", params.get("corpus.sources.0.path"));
        assertEquals(MlflowSink.MAX_PARAM_VALUE, params.get("notes").length(), "a long value is cut to MLflow's limit");
        assertTrue(params.get("notes").endsWith("more characters]"));

        List<JsonNode> children = runsTagged(exp, "mlflow.parentRunId", parentId);
        Map<String, JsonNode> byStage = new HashMap<>();
        children.forEach(c -> byStage.put(c.path("info").path("run_name").asText(), c));
        assertEquals(run.rows().keySet(), byStage.keySet());
        for (JsonNode c : children) {
            assertEquals("FINISHED", c.path("info").path("status").asText());
        }
        assertEquals("true", pairs(byStage.get("data").path("data").path("tags")).get("lmforge.reused"));
        JsonNode pretrain = byStage.get("pretrain");
        assertEquals("7", pairs(pretrain.path("data").path("params")).get("seed"));
        assertTrue(pairs(pretrain.path("data").path("tags")).get("lmforge.artifact.model")
                .equals("http://console.test/api/artifacts/" + run.model()));
        List<JsonNode> loss = lossHistory(pretrain.path("info").path("run_id").asText());
        assertEquals(LOSS_POINTS, loss.size());
        assertEquals(LOSS_POINTS, loss.stream().map(p -> p.path("step").asLong()).collect(Collectors.toSet()).size());
        Map<String, Double> scores = new HashMap<>();
        byStage.get("evaluate").path("data").path("metrics").forEach(m -> scores.put(m.path("key").asText(), m.path("value").asDouble()));
        assertEquals(1.25, scores.get("eval.heldout.bits_per_byte"), 1e-9);
        assertEquals(0.42, scores.get("eval.arc_easy.accuracy"), 1e-9);
        assertEquals(0.05, scores.get("eval.arc_easy.accuracy.stderr"), 1e-9);
    }
}
