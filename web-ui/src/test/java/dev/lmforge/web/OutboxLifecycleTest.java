package dev.lmforge.web;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.LocatorAssertions;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.services.outbox.LineageReceiver;
import dev.lmforge.services.outbox.MlflowServer;
import dev.lmforge.services.outbox.RecordingProxy;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.URL;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The outbox through the real control plane: a team's endpoints set through the API, then a lifecycle of all
 * seven stages on the sample corpus; its OpenLineage events reach a local receiver through the ledger activities'
 * hooks and reproduce {@code GET /api/artifacts/{digest}/lineage} of the aligned model, and a real MLflow server
 * holds the run, a nested run per stage with the loss series point for point and the evaluation scores.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, restrictToAnnotatedClass = true)
class OutboxLifecycleTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static LineageReceiver receiver;
    static MlflowServer mlflow;

    @Inject
    UserStore users;
    @TestHTTPResource("/")
    URL base;
    @ConfigProperty(name = "lmforge.data-dir")
    String dataDir;

    @BeforeAll
    static void sinks() throws Exception {
        AccessControlTest.yamlIsText();
        receiver = new LineageReceiver(MlflowServer.freePort(), 200).start();
        mlflow = new MlflowServer(Files.createTempDirectory(Path.of("target"), "mlflow-"), MlflowServer.freePort()).start();
    }

    @AfterAll
    static void stopSinks() throws Exception {
        receiver.close();
        mlflow.close();
    }

    @BeforeEach
    void asAdmin() {
        AdminToken.useFor(users, "OutboxLifecycleTest");
        if (!users.teams().contains("lineage")) {
            users.createTeam("lineage");
        }
    }

    @AfterEach
    void signOut() {
        AdminToken.forget();
    }

    @Test
    void aTeamsEndpointsAreRefusedNamingTheFieldAndNeverEchoed() {
        given().contentType("application/json").body(Map.of("openLineageUrl", "ftp://secret-host/x"))
                .put("/api/teams/lineage/integrations").then().statusCode(400)
                .contentType(containsString("problem+json"))
                .body("errors[0].field", equalTo("openLineageUrl"))
                .body(org.hamcrest.Matchers.not(containsString("secret-host")));
        given().contentType("application/json").body(Map.of("mlflowTrackingUri", "http://user:pw@host/"))
                .put("/api/teams/lineage/integrations").then().statusCode(400)
                .body("errors[0].field", equalTo("mlflowTrackingUri"))
                .body(org.hamcrest.Matchers.not(containsString("pw@")));
        given().contentType("application/json").body(Map.of("mlflowExperimentBy", "user"))
                .put("/api/teams/lineage/integrations").then().statusCode(400)
                .body("errors[0].field", equalTo("mlflowExperimentBy"));
        given().contentType("application/json").body(Map.of("mlflowToken", "has a space secret-token"))
                .put("/api/teams/lineage/integrations").then().statusCode(400)
                .body("errors[0].field", equalTo("mlflowToken"))
                .body(org.hamcrest.Matchers.not(containsString("secret-token")));
        given().get("/api/teams/nobody/integrations").then().statusCode(404);
        AdminToken.forget();
        given().get("/api/teams/lineage/integrations").then().statusCode(401);
    }

    /**
     * The team's secrets are write-only: a set one reads back as ********, never as itself; a PUT without it keeps
     * it, the mask sent back keeps it, an empty string clears it; the audit log holds none of them.
     */
    @Test
    void aTeamsSecretsAreWriteOnlyAndClearable() {
        given().contentType("application/json").body(Map.of("openLineageApiKey", "it-secret-ol", "mlflowToken", "it-secret-mlflow"))
                .put("/api/teams/lineage/integrations").then().statusCode(200)
                .body("openLineageApiKey", equalTo("********")).body("mlflowToken", equalTo("********"))
                .body(org.hamcrest.Matchers.not(containsString("it-secret")));
        given().contentType("application/json").body(Map.of("openLineageApiKey", "********"))
                .put("/api/teams/lineage/integrations").then().statusCode(200)
                .body("openLineageApiKey", equalTo("********")).body("mlflowToken", equalTo("********"));
        given().get("/api/teams/lineage/integrations").then().statusCode(200)
                .body("openLineageApiKey", equalTo("********")).body(org.hamcrest.Matchers.not(containsString("it-secret")));
        given().contentType("application/json").body(Map.of("openLineageApiKey", "", "mlflowToken", ""))
                .put("/api/teams/lineage/integrations").then().statusCode(200)
                .body("openLineageApiKey", org.hamcrest.Matchers.nullValue())
                .body("mlflowToken", org.hamcrest.Matchers.nullValue());
        given().queryParam("target", "team:lineage").get("/api/audit").then().statusCode(200)
                .body(containsString("team.integrations.set"))
                .body(org.hamcrest.Matchers.not(containsString("it-secret")));
    }

    @Test
    void aLifecycleIsMirroredToOpenLineageAndMlflow() throws Exception {
        try (RecordingProxy proxy = new RecordingProxy(mlflow.uri())) {
            mirrored(proxy);
        }
    }

    /**
     * The lifecycle with the team's secrets set: every OpenLineage event reached the receiver with the team's API
     * key as bearer token, and every request that reached MLflow (through a recording proxy in front of it, since
     * MLflow runs without authentication and reports no headers) carried the team's token.
     */
    void mirrored(RecordingProxy proxy) throws Exception {
        given().contentType("application/json").body(Map.of("openLineageUrl", receiver.url(),
                        "openLineageNamespace", "lmforge-it", "mlflowTrackingUri", proxy.url(), "mlflowExperimentBy", "spec",
                        "openLineageApiKey", "it-ol-key", "mlflowToken", "it-mlflow-token"))
                .put("/api/teams/lineage/integrations").then().statusCode(200)
                .body("effective.openLineageUrl", equalTo(receiver.url()))
                .body("effective.mlflowTrackingUri", equalTo(proxy.url()))
                .body("effective.openLineageApiKey", equalTo("********"));
        String yaml = "name: mirrored\nteam: lineage\ncorpus:\n  sources:\n    - path: " + LifecycleApiTest.CORPUS
                + "\ntokenizer:\n  vocabSize: 512\ncompute:\n  budget: 3.0e10\nplan:\n  seqLen: 32\n"
                + "evaluation:\n  items: 8\n  heldOutDocuments: 3\nsft:\n  epochs: 1\n  learningRate: 1.0e-3\n";
        String id = LifecycleApiTest.submit(yaml);
        JsonPath run = LifecycleApiTest.awaitStatus(id, "SUCCEEDED");
        long deadline = System.nanoTime() + 120_000_000_000L;
        JsonPath deliveries;
        do {
            Thread.sleep(500);
            deliveries = given().get("/api/runs/" + id + "/deliveries").then().statusCode(200).extract().jsonPath();
        } while (System.nanoTime() < deadline && (deliveries.getList("pending", Integer.class).stream().anyMatch(n -> n > 0)
                || deliveries.getList("sink").size() < 2));
        assertEquals(List.of("mlflow", "openlineage"), deliveries.getList("sink"), deliveries.prettify());
        assertEquals(List.of(0, 0), deliveries.getList("pending", Integer.class), deliveries.prettify());
        assertEquals(List.of(0, 0), deliveries.getList("failed", Integer.class), deliveries.prettify());

        // OpenLineage: walking outputs back to inputs from the aligned model gives the ledger's lineage graph.
        String aligned = run.getString("stages.find { it.stage == 'align' }.outputs.model");
        Map<String, Set<String>> producers = new HashMap<>();
        Map<String, Set<String>> inputs = new HashMap<>();
        int events = 0;
        for (String body : receiver.bodies()) {
            JsonNode e = JSON.readTree(body);
            events++;
            assertEquals("lmforge-it", e.path("job").path("namespace").asText());
            if (e.path("eventType").asText().equals("COMPLETE") && e.path("job").path("name").asText().startsWith("lifecycle.")) {
                String row = e.path("run").path("facets").path("lmforge_stage").path("stageRow").asText();
                e.path("outputs").forEach(d -> producers.computeIfAbsent(d.path("name").asText(), k -> new TreeSet<>()).add(row));
                e.path("inputs").forEach(d -> inputs.computeIfAbsent(row, k -> new TreeSet<>()).add(d.path("name").asText()));
            }
        }
        assertEquals(deliveries.getInt("find { it.sink == 'openlineage' }.delivered"), events, "each event arrives once");
        assertEquals(Set.of("Bearer it-ol-key"), receiver.received().stream().map(r -> String.valueOf(r.authorization()))
                .collect(java.util.stream.Collectors.toSet()), "the team's API key on every event");
        assertTrue(proxy.requests().size() > 7, proxy.requests().toString());
        assertEquals(Set.of("Bearer it-mlflow-token"), proxy.requests().stream().map(r -> String.valueOf(r.authorization()))
                .collect(java.util.stream.Collectors.toSet()), "the team's token on every MLflow request");
        assertTrue(events >= 2 + 7 * 2, "at least START and COMPLETE of the lifecycle and of each stage: " + events);
        Set<String> artifacts = new TreeSet<>();
        Set<String> stages = new TreeSet<>();
        List<String> todo = new ArrayList<>(List.of(aligned));
        while (!todo.isEmpty()) {
            String d = todo.remove(todo.size() - 1);
            if (artifacts.add(d)) {
                for (String row : producers.getOrDefault(d, Set.of())) {
                    stages.add(row);
                    todo.addAll(inputs.getOrDefault(row, Set.of()));
                }
            }
        }
        JsonPath lineage = given().queryParam("direction", "up").get("/api/artifacts/" + aligned + "/lineage")
                .then().statusCode(200).extract().jsonPath();
        assertEquals(new TreeSet<>(lineage.getList("artifacts.digest", String.class)), artifacts);
        assertEquals(new TreeSet<>(lineage.getList("stages.id", Long.class).stream().map(String::valueOf).toList()), stages);

        // MLflow, through its own REST API: the run in experiment "lmforge/mirrored", seven nested stage runs.
        String experiment = mlflowGet("/api/2.0/mlflow/experiments/get-by-name?experiment_name="
                + URLEncoder.encode("lmforge/mirrored", StandardCharsets.UTF_8)).path("experiment").path("experiment_id").asText();
        JsonNode parent = search(experiment, "tags.`lmforge.run_id` = '" + id + "' and tags.`lmforge.key` = 'run:" + id + "'").get(0);
        assertEquals("FINISHED", parent.path("info").path("status").asText());
        String parentId = parent.path("info").path("run_id").asText();
        List<JsonNode> children = search(experiment, "tags.`mlflow.parentRunId` = '" + parentId + "'");
        Map<String, JsonNode> byStage = new HashMap<>();
        children.forEach(c -> byStage.put(c.path("info").path("run_name").asText(), c));
        assertEquals(Set.copyOf(run.getList("stages.stage", String.class)), byStage.keySet());
        JsonPath metrics = given().get("/api/runs/" + id).then().statusCode(200).extract().jsonPath();
        int lossPoints = metrics.getInt("metrics.find { it.stage == 'pretrain' && it.name == 'loss' }.points");
        assertTrue(lossPoints > 1, metrics.prettify());
        JsonNode history = mlflowGet("/api/2.0/mlflow/metrics/get-history?run_id="
                + byStage.get("pretrain").path("info").path("run_id").asText() + "&metric_key=loss");
        assertEquals(lossPoints, history.path("metrics").size(), "the loss series, point for point");
        JsonPath scores = given().get("/api/runs/" + id + "/evaluations").then().statusCode(200).extract().jsonPath();
        Map<String, Double> logged = new HashMap<>();
        byStage.get("evaluate-base").path("data").path("metrics").forEach(m -> logged.put(m.path("key").asText(), m.path("value").asDouble()));
        for (Map<String, Object> s : scores.<Map<String, Object>>getList("findAll { it.stage == 'evaluate-base' }")) {
            String key = ("eval." + s.get("task") + "." + s.get("metric")).replaceAll("[^A-Za-z0-9_\\-./ ]", "_");
            assertEquals(((Number) s.get("value")).doubleValue(), logged.get(key), 1e-6, key + " in " + logged.keySet());
        }
    }

    /**
     * In the browser: an admin sets the team's OpenLineage endpoint on the Admin page (a bad one is refused naming
     * the field), to a receiver that answers 400; the run page then shows its events failed, with the error naming
     * the endpoint, while the run itself succeeded.
     */
    @Test
    void theAdminPageSetsATeamsEndpointAndTheRunPageShowsItsDeliveries() throws Exception {
        LocatorAssertions.ContainsTextOptions wait = new LocatorAssertions.ContainsTextOptions().setTimeout(60_000);
        try (LineageReceiver refusing = new LineageReceiver(MlflowServer.freePort(), 400).start();
             ConsoleBrowser browser = ConsoleBrowser.launch()) {
            Page page = browser.signedIn(base.toString(), "admin", ConsoleBrowser.adminPassword(Path.of(dataDir)));
            page.navigate(base + "admin.html");
            // The page loads a team's settings into the form asynchronously: edit only once that has happened.
            assertThat(page.locator("#team-integrations[data-loads]")).hasCount(1);
            String loads = page.locator("#team-integrations").getAttribute("data-loads");
            page.selectOption("#integrations-team", "lineage");
            page.waitForCondition(() -> !loads.equals(page.locator("#team-integrations").getAttribute("data-loads")));
            page.fill("#int-openLineageUrl", "gopher://nowhere");
            page.fill("#int-mlflowTrackingUri", "");
            page.click("#team-integrations button[type=submit]");
            assertThat(page.locator("#integrations-error")).containsText("openLineageUrl", wait);
            page.fill("#int-openLineageUrl", refusing.url());
            page.fill("#int-openLineageApiKey", "page-secret-key");
            page.click("#team-integrations button[type=submit]");
            assertThat(page.locator("#integrations-effective")).containsText("OpenLineage " + refusing.url(), wait);
            assertThat(page.locator("#integrations-effective")).containsText("API key ********", wait);
            assertThat(page.locator("#int-openLineageApiKey")).hasValue("");
            assertThat(page.locator("#int-openLineageApiKey")).hasAttribute("placeholder", "******** (set)");
            assertTrue(!page.content().contains("page-secret-key"), "the page never shows the key");
            page.check("#int-clear-openLineageApiKey");
            page.click("#team-integrations button[type=submit]");
            assertThat(page.locator("#integrations-effective")).containsText("API key none", wait);
            assertThat(page.locator("#integrations-effective")).containsText("MLflow off", wait);
            ConsoleBrowser.screenshot(page.locator("#team-integrations"), "admin-integrations");

            String id = LifecycleApiTest.submit("name: refused\nteam: lineage\nstages: [data, plan]\ncorpus:\n  sources:\n"
                    + "    - path: " + LifecycleApiTest.CORPUS + "\ncompute:\n  budget: 1.0e15\n");
            LifecycleApiTest.awaitStatus(id, "SUCCEEDED");
            page.navigate(base + "run.html?id=" + id);
            assertThat(page.locator("#deliveries tr[data-sink=openlineage]")).containsText("failed", wait);
            assertThat(page.locator("#deliveries tr[data-sink=openlineage]")).containsText("HTTP 400 from " + refusing.url(), wait);
            ConsoleBrowser.screenshot(page.locator("#deliveries-section"), "run-deliveries");
            assertEquals(List.of(), browser.policyViolations(), "the pages work under their Content-Security-Policy");
            page.context().close();
        }
    }

    static JsonNode mlflowGet(String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(mlflow.uri() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    static List<JsonNode> search(String experiment, String filter) throws Exception {
        String body = JSON.createObjectNode().put("filter", filter).put("max_results", 100)
                .set("experiment_ids", JSON.createArrayNode().add(experiment)).toString();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(mlflow.uri() + "/api/2.0/mlflow/runs/search"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        List<JsonNode> runs = new ArrayList<>();
        JSON.readTree(r.body()).path("runs").forEach(runs::add);
        return runs;
    }
}
