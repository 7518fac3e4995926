package dev.lmforge.web;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.emptyOrNullString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.web.runs.SpecParser;
import dev.lmforge.web.temporal.ControlPlane;
import dev.lmforge.workflows.data.DataWorkflowInput;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The REST API and the lifecycle on the real local stack, with the in-process compute worker. */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, restrictToAnnotatedClass = true)
class LifecycleApiTest {

    static final String CORPUS = Path.of("../samples/corpus").toAbsolutePath().normalize().toString();

    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    ControlPlane controlPlane;
    @Inject
    UserStore users;

    @BeforeAll
    static void yamlIsText() {
        AccessControlTest.yamlIsText();
    }

    @BeforeEach
    void asAdmin() {
        AdminToken.useFor(users, "LifecycleApiTest");
    }

    @AfterEach
    void signOut() {
        AdminToken.forget();
    }

    static String spec(String extra) {
        return "name: api-test\nstages: [data, plan]\ncorpus:\n  sources:\n    - path: " + CORPUS
                + "\ncompute:\n  budget: 1.0e15\n" + extra;
    }

    static String submit(String yaml) {
        return given().contentType("application/yaml").body(yaml).post("/api/runs")
                .then().statusCode(201).extract().path("id");
    }

    static JsonPath run(String id) {
        return given().get("/api/runs/" + id).then().statusCode(200).extract().jsonPath();
    }

    static JsonPath await(String id, Predicate<JsonPath> condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        JsonPath run = run(id);
        while (!condition.test(run)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("run " + id + " never reached " + what + "; last: " + run.prettify());
            }
            sleep(250);
            run = run(id);
        }
        return run;
    }

    static JsonPath awaitStatus(String id, String status) {
        return await(id, r -> status.equals(r.getString("status")), status);
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aWholeRunCompletesAndItsLineageReachesTheRawDumps() throws Exception {
        String id = submit(spec("data:\n  maxBytesPerSecond: 1000000000\n").replace("1.0e15", "1.5e15"));
        JsonPath run = awaitStatus(id, "SUCCEEDED");
        assertEquals(List.of("data", "plan"), run.getList("stages.stage"));
        assertEquals(List.of("SUCCEEDED", "SUCCEEDED"), run.getList("stages.status"));
        assertTrue(run.getFloat("stages[0].summary.documents") > 100, run.prettify());
        String corpus = run.getString("stages[0].outputs.corpus");
        String plan = run.getString("stages[1].outputs.plan");

        given().get("/api/artifacts/" + corpus).then().statusCode(200).body("kind", equalTo("corpus"));
        String manifest = given().get("/api/artifacts/" + corpus + "/content").then().statusCode(200).extract().asString();
        assertTrue(manifest.contains("lmforge-corpus/1"), manifest);
        String planJson = given().get("/api/artifacts/" + plan + "/content").then().statusCode(200).extract().asString();
        assertEquals(1.5e15, new ObjectMapper().readTree(planJson).get("compute").asDouble());

        JsonPath lineage = given().queryParam("direction", "up").get("/api/artifacts/" + corpus + "/lineage")
                .then().statusCode(200).extract().jsonPath();
        List<String> dumps = lineage.getList("artifacts.findAll { it.kind == 'raw-dump' }.digest");
        assertEquals(4, dumps.size(), lineage.prettify());
        JsonPath down = given().queryParam("direction", "down").get("/api/artifacts/" + dumps.get(0) + "/lineage")
                .then().statusCode(200).extract().jsonPath();
        assertTrue(down.getList("artifacts.digest").contains(corpus));
        // This plan had nothing to read but its budget (no tokens for a sweep), and its lineage says so.
        assertEquals(List.of(plan), given().queryParam("direction", "up").get("/api/artifacts/" + plan + "/lineage")
                .then().statusCode(200).extract().jsonPath().getList("artifacts.digest"));

        // Keep this run's histories (the lifecycle's and its data workflow's) for the replay tests in workflows.
        String workflowId = run.getString("workflowId");
        writeHistory(workflowId, "lifecycle-data-child-plan.json");
        writeHistory(DataWorkflowInput.workflowId(workflowId), "data-workflow.json");
    }

    /**
     * A spec that names no stages runs all seven on the sample corpus, on this CPU, in well under a minute at a
     * tiny budget: the scores of both evaluations land in the ledger, and the aligned model's lineage goes back
     * through pretraining to the raw dumps.
     */
    @Test
    void aSpecWithoutStagesRunsAllSevenOnTheSampleCorpus() throws Exception {
        String yaml = "name: all-seven\ncorpus:\n  sources:\n    - path: " + CORPUS + "\ntokenizer:\n  vocabSize: 512\n"
                + "compute:\n  budget: 3.0e10\nplan:\n  seqLen: 32\nevaluation:\n  items: 8\n  heldOutDocuments: 3\n"
                + "sft:\n  epochs: 1\n  learningRate: 1.0e-3\n";
        String id = submit(yaml);
        JsonPath run = awaitStatus(id, "SUCCEEDED");
        assertEquals(List.of("data", "tokenizer", "plan", "pretrain", "evaluate-base", "align", "evaluate-chat"),
                run.getList("stages.stage"));
        assertEquals(List.of("SUCCEEDED"), run.getList("stages.status").stream().distinct().toList(), run.prettify());
        JsonPath scores = given().get("/api/runs/" + id + "/evaluations").then().statusCode(200).extract().jsonPath();
        assertEquals(List.of("evaluate-base", "evaluate-chat"), scores.getList("stage").stream().distinct().sorted().toList());
        assertTrue(scores.getList("findAll { it.task == 'held-out' }.value", Float.class).stream().allMatch(v -> v > 0));
        // The plan preview now times plans at the throughput this pretraining measured.
        given().contentType("application/yaml").body(yaml).post("/api/specs/plan").then().statusCode(200)
                .body("wallTime.seconds", greaterThan(0f)).body("wallTime.flopsPerSecond", greaterThan(0f));
        String aligned = run.getString("stages[5].outputs.model");
        assertNotNull(aligned);
        // Each stage is handed only what it consumes: alignment reads the checkpoint, the tokenizer and its data
        // sets by digest, not the scores.
        assertEquals(Set.of("checkpoint", "tokenizer", "sft-data", "preference-data"), run.getMap("stages[5].inputs").keySet());
        assertEquals(Set.of("corpus"), run.getMap("stages[1].inputs").keySet());
        assertEquals(Set.of(), run.getMap("stages[2].inputs").keySet(), "a plan without a sweep reads only its budget");
        JsonPath lineage = given().queryParam("direction", "up").get("/api/artifacts/" + aligned + "/lineage")
                .then().statusCode(200).extract().jsonPath();
        assertEquals(4, lineage.getList("artifacts.findAll { it.kind == 'raw-dump' }").size());
        assertTrue(lineage.getList("stages.stage").containsAll(List.of("pretrain", "align")), lineage.prettify());
        assertEquals(List.of("preference-data", "sft-data"), lineage.<String>getList(
                "artifacts.findAll { it.kind.endsWith('-data') }.kind").stream().sorted().toList());
        writeHistory(run.getString("workflowId"), "lifecycle-all-stages-alignment-data.json");
    }

    private void writeHistory(String workflowId, String file) throws Exception {
        Path out = Path.of("target/histories", file);
        Files.createDirectories(out.getParent());
        Files.writeString(out, controlPlane.client().fetchHistory(workflowId).toJson(true));
    }

    /**
     * The data stage's report shows the overlap planted in the sample corpus (samples/corpus/SOURCES.md, "Planted
     * overlap"): per dump, records read, removed within the dump and removed across dumps; then the quality filter
     * and the remix, and a manifest whose parts the tokenizer can read.
     */
    @Test
    void theDataReportShowsThePlantedTableOneRatesOfTheSampleCorpus() throws Exception {
        String id = submit(spec("data:\n  maxBytesPerSecond: 1100000000\n  partitions: 3\n"));
        JsonPath run = awaitStatus(id, "SUCCEEDED");
        String reportDigest = run.getString("stages[0].outputs.report");
        given().get("/api/artifacts/" + reportDigest).then().statusCode(200).body("kind", equalTo("data-report"));
        JsonNode report = JSON.readTree(given().get("/api/artifacts/" + reportDigest + "/content").then().statusCode(200)
                .extract().asString());
        assertEquals("lmforge-data-report/1", report.get("format").asText());
        // dump, records, removed within the dump, removed across dumps: SOURCES.md's table.
        Object[][] planted = {
                {"2024-01", 270, 13, 13}, {"2024-02", 334, 12, 144}, {"2024-03", 388, 23, 232},
                {"2024-04", 410, 25, 301}, {"all", 1402, 73, 690}};
        JsonNode rates = report.at("/dedup/rates");
        assertEquals(planted.length, rates.size(), rates.toString());
        for (int i = 0; i < planted.length; i++) {
            JsonNode row = rates.get(i);
            assertEquals(planted[i][0], row.get("dump").asText());
            assertEquals(planted[i][1], row.get("documents").asInt(), row.toString());
            assertEquals(planted[i][2], row.get("removedWithinDump").asInt(), row.toString());
            assertEquals(planted[i][3], row.get("removedAcrossDumps").asInt(), row.toString());
        }
        assertEquals(0.052, report.at("/dedup/rates/4/withinDumpRate").asDouble(), 0.0005);
        assertEquals(0.492, report.at("/dedup/rates/4/acrossDumpsRate").asDouble(), 0.0005);

        JsonNode steps = report.get("steps");
        assertEquals(1402, steps.get("read").asLong());
        assertEquals(1402 - 690, steps.get("deduplicated").asLong());
        // The 48 junk records (12 a dump) are never duplicates, so they reach the filter, which rejects them.
        assertTrue(steps.get("filtered").asLong() <= 1402 - 690 - 48, steps.toString());
        assertTrue(report.at("/quality/rejected").size() > 0 && !report.at("/quality/samples").isEmpty(), report.get("quality").toString());
        assertEquals(steps.get("filtered").asLong(), steps.get("remixed").asLong(), "no target mix: the counts stay");
        assertEquals(0.492, run.getDouble("stages[0].summary.acrossDumpsRate"), 0.0005);

        JsonNode manifest = JSON.readTree(given().get("/api/artifacts/" + run.getString("stages[0].outputs.corpus")
                + "/content").then().statusCode(200).extract().asString());
        assertEquals(steps.get("remixed").asLong(), manifest.get("documents").asLong());
        assertEquals(4, manifest.get("parts").size());
        String firstPart = given().get("/api/artifacts/" + manifest.at("/parts/0/digest").asText() + "/content")
                .then().statusCode(200).extract().asString();
        JsonNode firstRecord = JSON.readTree(firstPart.lines().findFirst().orElseThrow());
        assertTrue(firstRecord.get("text").isTextual() && firstRecord.get("url").isTextual(),
                "parts keep the text and the records' other fields: " + firstRecord);
    }

    @Test
    void anIdenticalSpecReusesEveryStageWithoutRunningItAgain() {
        String first = submit(spec("data:\n  maxBytesPerSecond: 900000000\n"));
        JsonPath done = awaitStatus(first, "SUCCEEDED");
        String second = submit(spec("data:\n  maxBytesPerSecond: 900000000\n"));
        JsonPath reused = awaitStatus(second, "SUCCEEDED");
        assertEquals(List.of("REUSED", "REUSED"), reused.getList("stages.status"));
        assertEquals(done.getLong("stages[0].rowId"), reused.getLong("stages[0].reusedFrom"));
        assertEquals(0, reused.getList("stages[0].attempts").size(), "a reused stage has no attempts of its own");
        assertEquals(done.getString("stages[1].outputs.plan"), reused.getString("stages[1].outputs.plan"));
    }

    @Test
    void aPausedRunWaitsBeforeItsNextStageAndGoesOnWhenResumed() {
        String id = submit(spec("data:\n  maxBytesPerSecond: 2000000\n"));
        await(id, r -> "RUNNING".equals(r.getString("stages[0].status")), "data running");
        given().post("/api/runs/" + id + "/pause").then().statusCode(200);
        JsonPath paused = awaitStatus(id, "PAUSED");
        assertEquals("SUCCEEDED", paused.getString("stages[0].status"));
        assertEquals("PENDING", paused.getString("stages[1].status"));
        given().queryParam("dryRun", true).post("/api/runs/" + id + "/resume").then().statusCode(200)
                .body("stages.action", equalTo(List.of("continue", "continue")));
        given().post("/api/runs/" + id + "/resume").then().statusCode(200).body("runId", equalTo(id));
        awaitStatus(id, "SUCCEEDED");
        given().post("/api/runs/" + id + "/pause").then().statusCode(409)
                .contentType("application/problem+json").body("detail", containsString("SUCCEEDED"));
    }

    @Test
    void aCancelledRunStopsItsStageAndAResumePreviewSaysWhatReruns() {
        String id = submit(spec("data:\n  maxBytesPerSecond: 65536\n"));  // the slowest allowed: the data stage would take minutes
        await(id, r -> "RUNNING".equals(r.getString("stages[0].status")), "data running");
        given().post("/api/runs/" + id + "/cancel").then().statusCode(200);
        JsonPath cancelled = awaitStatus(id, "CANCELLED");
        assertEquals("CANCELLED", cancelled.getString("stages[0].status"));
        JsonPath preview = given().queryParam("dryRun", true).post("/api/runs/" + id + "/resume")
                .then().statusCode(200).extract().jsonPath();
        assertEquals(List.of("run", "run"), preview.getList("stages.action"));
        assertEquals(id, preview.getString("resumedFrom"));
    }

    /** The parsed spec is the workflow's input, which a real Temporal server caps at 2 MB: a spec is capped first. */
    @Test
    void aSpecOverTheSizeCapIsRefusedAndNothingIsStored() {
        int before = given().get("/api/runs").then().statusCode(200).extract().jsonPath().getInt("total");
        String padded = spec("") + "# " + "x".repeat(SpecParser.MAX_SPEC_BYTES) + "\n";
        given().contentType("application/yaml").body(padded).post("/api/runs").then().statusCode(413)
                .contentType("application/problem+json").body("errors[0].field", equalTo("spec"))
                .body("errors[0].message", containsString("more than the " + SpecParser.MAX_SPEC_BYTES));
        assertEquals(before, given().get("/api/runs").then().statusCode(200).extract().jsonPath().getInt("total"));
    }

    @Test
    void aMissingCorpusPathFailsTheRunWithTheFieldNamed() {
        String id = given().contentType("application/yaml").body(spec("").replace(CORPUS, CORPUS + "/no-such-dump"))
                .post("/api/runs").then().statusCode(201).extract().path("id");
        JsonPath failed = awaitStatus(id, "FAILED");
        assertTrue(failed.getString("error").contains("corpus.sources[0].path"), failed.getString("error"));
    }

    @Test
    void thePlanPreviewIsThePlanStagesPlanComputedOnAComputeWorkerAndStoresNothing() {
        int before = given().get("/api/runs").then().extract().path("total");
        given().contentType("application/yaml").body(spec("plan:\n  seqLen: 128\n  vocab: 8000\n"))
                .post("/api/specs/plan").then().statusCode(200)
                .body("compute", equalTo(1.0e15f))
                .body("model.shape.seqLen", equalTo(128))
                .body("model.shape.vocab", equalTo(8000))
                .body("steps", greaterThan(0))
                .body("memory.parameterBytes", greaterThan(0))
                .body("wallTime.basis", containsString("pretraining"));
        given().contentType("application/yaml").body(spec("").replace("budget: 1.0e15", "budget: -5"))
                .post("/api/specs/plan").then().statusCode(400).body("errors[0].field", equalTo("compute.budget"));
        // Valid by the spec's rules, refused by the planner itself: the message names the limit.
        given().contentType("application/yaml").body(spec("").replace("budget: 1.0e15", "budget: 1.0e15\n  tokens: 1"))
                .post("/api/specs/plan").then().statusCode(400).contentType("application/problem+json")
                .body("detail", containsString("token limit 1"));
        assertEquals(before, (int) given().get("/api/runs").then().extract().path("total"));
    }

    @Test
    void theLaunchTemplatesAreValidSpecsAndTheDemoIsTheBundledSample() throws Exception {
        JsonPath templates = given().get("/api/specs/templates").then().statusCode(200).extract().jsonPath();
        assertEquals(List.of("demo", "small", "budget-only"), templates.getList("name"));
        assertEquals(Files.readString(Path.of("../samples/demo.yaml")), templates.getString("find { it.name == 'demo' }.yaml"));
        for (String yaml : templates.<String>getList("yaml")) {
            given().contentType("application/yaml").body(yaml).post("/api/specs/validate").then().statusCode(200)
                    .body("valid", equalTo(true));
        }
    }

    @Test
    void badSpecsAreRefusedNamingTheFieldAndLeaveNothingBehind() {
        int before = given().get("/api/runs").then().extract().path("total");
        Map<String, String> cases = Map.of(
                "name: x\nstages: [data]\ncorpuss: {}\n", "corpuss",
                spec("").replace("budget: 1.0e15", "budget: -5"), "compute.budget",
                "name: x\nstages: [data]\n", "corpus.sources",
                "name: x\nstages: [data, fly]\ncorpus: {sources: [{path: x}]}\n", "stages[1]",
                "name: x\nstages: [data, align]\ncorpus: {sources: [{path: x}]}\n", "stages[1]",
                "name: x\nstages: [data]\n  oops: 1\n", "line 3",
                "", "spec",
                spec("data:\n  dedup:\n    bandz: 3\n"), "data.dedup.bandz",
                spec("data:\n  dedup:\n    threshold: 1.5\n"), "data.dedup.threshold");
        cases.forEach((body, field) -> given().contentType("application/yaml").body(body).post("/api/runs")
                .then().statusCode(400).contentType("application/problem+json")
                .body("title", equalTo("Invalid Spec")).body("errors.field", hasItem(field)));
        given().contentType("application/json").body("{\"stages\": [\"data\"], \"corpus\": {\"sources\": [{\"path\": 7, \"color\": 1}]}}")
                .post("/api/runs").then().statusCode(400).body("errors[0].field", equalTo("corpus.sources[0].color"));
        assertEquals(before, (int) given().get("/api/runs").then().extract().path("total"));
    }

    @Test
    void unknownThingsAre404AndMalformedOnes400AllAsProblemDetails() {
        given().get("/api/runs/run-none").then().statusCode(404).contentType("application/problem+json")
                .body("status", equalTo(404)).body("detail", containsString("run-none"));
        given().post("/api/runs/run-none/resume").then().statusCode(404);
        given().get("/api/artifacts/" + "ab".repeat(32)).then().statusCode(404).contentType("application/problem+json");
        given().get("/api/artifacts/not-a-digest").then().statusCode(400).body("detail", containsString("digest"));
        given().queryParam("status", "DANCING").get("/api/runs").then().statusCode(400).body("detail", containsString("status"));
        given().get("/api/nothing-here").then().statusCode(404).contentType("application/problem+json");
        given().contentType("image/png").body(new byte[]{1, 2}).post("/api/runs").then().statusCode(415)
                .contentType("application/problem+json");
    }

    /** A spec can be hundreds of kilobytes: a page of the list carries each run's summary, and only the run has its spec. */
    @Test
    void theRunsListHasSummariesNotSpecsAndCapsItsPage() {
        String id = submit(spec("data:\n  maxBytesPerSecond: 700000000\n# " + "x".repeat(100_000) + "\n").replace("name: api-test", "name: api-summary"));
        byte[] page = given().queryParam("q", "api-summary").get("/api/runs").then().statusCode(200)
                .body("total", equalTo(1)).body("items[0].id", equalTo(id))
                .body("items[0].stages.stage", equalTo(List.of("data", "plan")))
                .body("items[0].stages.status", everyItem(not(emptyOrNullString())))
                .body("items[0].owner", not(emptyOrNullString())).body("items[0].createdAt", not(emptyOrNullString()))
                .body("items[0]", not(hasKey("spec"))).body("items[0]", not(hasKey("specSource")))
                .extract().asByteArray();
        assertTrue(page.length < 2_000, "a one-run page of " + page.length + " bytes");
        assertEquals(1.0e15, run(id).getDouble("spec.compute.budget"), "the run itself has its spec");

        given().queryParam("limit", 200).get("/api/runs").then().statusCode(200);
        given().queryParam("limit", 201).get("/api/runs").then().statusCode(400).contentType("application/problem+json")
                .body("detail", containsString("limit")).body("detail", containsString("200"));
        given().get("/api/console/runs").then().statusCode(404);
    }

    @Test
    void runsArePagedAndTheServiceEndpointsAnswer() {
        assertNotNull(submit(spec("data:\n  maxBytesPerSecond: 800000000\n")));
        given().queryParam("limit", 1).get("/api/runs").then().statusCode(200)
                .body("items.size()", equalTo(1)).body("total", greaterThan(0));
        given().get("/q/health").then().statusCode(200);
        given().get("/q/openapi").then().statusCode(200).body(containsString("/api/runs"));
        given().get("/q/metrics").then().statusCode(200);
        given().get("/").then().statusCode(200).body(containsString("lmforge runs"));
    }

    @Test
    void theRunPageOpensInOneCallWithItsSeriesAndEvaluations() {
        // A data rate no other test uses: the other tests expect their own data stage to run, not to be reused.
        String id = submit(spec("data:\n  maxBytesPerSecond: 999000001\n"));
        awaitStatus(id, "SUCCEEDED");
        JsonPath page = given().queryParam("series", "pretrain/loss", "data/nothing-recorded").queryParam("points", 50)
                .get("/api/console/runs/" + id).then().statusCode(200).extract().jsonPath();
        assertEquals(id, page.getString("run.id"));
        assertEquals(run(id).getList("stages.stage"), page.getList("run.stages.stage"), "the same view as GET /api/runs/{id}");
        assertEquals(List.of("pretrain/loss", "data/nothing-recorded"),
                page.getList("series.collect { it.stage + '/' + it.name }"));
        assertEquals(0, page.getList("series[1].points").size());
        assertEquals(0, page.getList("evaluations").size(), "a data and plan run has no evaluations");

        given().queryParam("series", "../etc").get("/api/console/runs/" + id).then().statusCode(400)
                .contentType("application/problem+json").body("detail", containsString("series"));
        given().queryParam("points", 1).get("/api/console/runs/" + id).then().statusCode(400)
                .body("detail", containsString("points"));
        given().queryParam("series", java.util.stream.IntStream.range(0, 17).mapToObj(i -> "pretrain/s" + i).toArray())
                .get("/api/console/runs/" + id).then().statusCode(400).body("detail", containsString("at most 16"));
        given().get("/api/console/runs/no-such-run").then().statusCode(404).contentType("application/problem+json");
    }
}
