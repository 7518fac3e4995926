package dev.lmforge.web;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.web.observability.OperationsMetrics;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * lmforge's own metrics and readiness on the real local stack: after a real run, {@code /q/metrics} counts it by
 * status, its stages by stage with their attempts, the artifact bytes it moved, the compute worker polling its
 * queue (as Temporal reports it) and the audit chain's head; {@code /q/health/ready} checks Temporal, PostgreSQL
 * and the object store. The Grafana dashboard charts only series that exist.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, restrictToAnnotatedClass = true)
class OperationsObservabilityTest {

    @Inject
    UserStore users;
    @Inject
    OperationsMetrics metrics;

    @BeforeAll
    static void yamlIsText() {
        AccessControlTest.yamlIsText();
    }

    @BeforeEach
    void asAdmin() {
        AdminToken.useFor(users, "OperationsObservabilityTest");
    }

    @AfterEach
    void signOut() {
        AdminToken.forget();
    }

    @Test
    void aFinishedRunShowsInLmforgesOwnMetrics() throws Exception {
        // A rate of its own, so that the data stage runs here rather than being reused from another test's run.
        long rate = 1_000_000_000L + System.nanoTime() % 1_000_000;
        String id = LifecycleApiTest.submit(LifecycleApiTest.spec("data:\n  maxBytesPerSecond: " + rate + "\n"));
        LifecycleApiTest.awaitStatus(id, "SUCCEEDED");
        metrics.refresh();
        String text = given().get("/q/metrics").then().statusCode(200).extract().asString();

        assertTrue(value(text, "lmforge_runs", "status=\"SUCCEEDED\"") >= 1, text);
        for (String stage : List.of("data", "plan")) {
            assertTrue(value(text, "lmforge_stage_executions", "stage=\"" + stage + "\",status=\"SUCCEEDED\"") >= 1, stage);
            assertTrue(value(text, "lmforge_stage_attempts", "stage=\"" + stage + "\",status=\"SUCCEEDED\"") >= 1, stage);
            assertTrue(value(text, "lmforge_stage_duration_max_seconds", "stage=\"" + stage + "\",status=\"SUCCEEDED\"") > 0,
                    stage);
        }
        // Exposed both ways; whether this run moved any depends on what earlier tests on the same stack stored
        // (a put of stored bytes sends none), so the counting itself is ArtifactStoreTest's.
        assertTrue(value(text, "lmforge_artifact_bytes_total", "direction=\"in\"") >= 0, text);
        assertTrue(value(text, "lmforge_artifact_bytes_total", "direction=\"out\"") >= 0, text);
        assertTrue(value(text, "lmforge_task_queue_pollers", "queue=\"cpu\",type=\"activity\"") >= 1,
                "the in-process compute worker polls the cpu queue");
        assertTrue(value(text, "lmforge_task_queue_backlog", "queue=\"cpu\",type=\"activity\"") >= 0, text);
        assertTrue(value(text, "lmforge_audit_chain_head", "") >= 1, "the submission was audited");
        assertTrue(value(text, "lmforge_metrics_refreshed_age_seconds", "") < 60, text);
        theDashboardChartsOnlyWhatIsExposed(text);
    }

    /**
     * Every series the Grafana dashboard in {@code infra/grafana} charts is one lmforge exposes; those with a row
     * per running run or busy worker are absent between runs, so they are named here instead.
     */
    private static void theDashboardChartsOnlyWhatIsExposed(String exposition) throws Exception {
        Set<String> whileWorking = Set.of("lmforge_training_latest", "lmforge_training_checkpoint_age_seconds",
                "lmforge_worker_running_attempts");
        JsonNode dashboard = new ObjectMapper().readTree(Path.of("../infra/grafana/lmforge-dashboard.json").toFile());
        Set<String> charted = new TreeSet<>();
        for (JsonNode panel : dashboard.get("panels")) {
            for (JsonNode target : panel.get("targets")) {
                Matcher m = Pattern.compile("lmforge_[a-z_]+").matcher(target.get("expr").asText());
                while (m.find()) {
                    charted.add(m.group());
                }
            }
        }
        assertTrue(charted.size() >= 10, charted.toString());
        for (String name : charted) {
            assertTrue(whileWorking.contains(name) || Pattern.compile("(?m)^" + name + "[{ ]").matcher(exposition).find(),
                    "the dashboard charts " + name + ", which /q/metrics does not expose");
        }
    }

    @Test
    void theInProcessComputeWorkerReportsItselfAndTemporalSeesItPoll() {
        JsonPath workers = given().get("/api/workers").then().statusCode(200).extract().jsonPath();
        assertTrue(workers.getList("workers").size() >= 1, workers.prettify());
        assertTrue(workers.getList("workers[0].worker.queues").contains("cpu"), workers.prettify());
        assertEquals(2, workers.getInt("workers[0].worker.slots"), workers.prettify());
        assertTrue(workers.getMap("workers[0].lastPolled").containsKey("cpu"), workers.prettify());
        given().header("Authorization", "Bearer not-a-token").get("/api/workers").then().statusCode(401);
    }

    @Test
    void readinessChecksTemporalPostgresAndTheObjectStore() {
        JsonPath health = given().get("/q/health/ready").then().statusCode(200).extract().jsonPath();
        assertEquals("UP", health.getString("status"), health.prettify());
        List<String> checks = health.getList("checks.name");
        assertTrue(checks.containsAll(List.of("temporal", "object-store")), checks.toString());
        assertTrue(checks.stream().anyMatch(name -> name.toLowerCase().contains("database")), checks.toString());
    }

    /** The value of the first sample of {@code name} whose labels contain {@code labels}; fails if there is none. */
    private static double value(String exposition, String name, String labels) {
        Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*\\})? (\\S+)$").matcher(exposition);
        while (m.find()) {
            if (m.group(1) == null ? labels.isEmpty() : m.group(1).contains(labels)) {
                return Double.parseDouble(m.group(2));
            }
        }
        throw new AssertionError("no sample " + name + "{" + labels + "} in /q/metrics");
    }
}
