package dev.lmforge.web;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lmforge.services.ledger.AuditLog;
import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.Records.NewRun;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.services.outbox.OutboxEvents;
import dev.lmforge.web.ledger.LedgerActivitiesImpl;
import io.restassured.path.json.JsonPath;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The audit trail of runs through the real API on the real local stack: every state change of a run and its
 * stages is an audit event, the chain verifies and is anchored, and the console works as a role that cannot
 * touch the audit log's triggers.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, restrictToAnnotatedClass = true)
class AuditTrailTest {

    @Inject
    UserStore users;
    @Inject
    Ledger ledger;
    @Inject
    AuditLog audit;
    @Inject
    OutboxEvents outboxEvents;

    @BeforeAll
    static void yamlIsText() {
        AccessControlTest.yamlIsText();
    }

    @BeforeEach
    void asAdmin() {
        AdminToken.useFor(users, "AuditTrailTest");
    }

    @AfterEach
    void signOut() {
        AdminToken.forget();
    }

    /** The actions about a run, oldest first. */
    private static List<String> actions(String runId) {
        List<String> newestFirst = new ArrayList<>(given().queryParam("target", runId).queryParam("limit", 500)
                .get("/api/audit").then().statusCode(200).extract().jsonPath().getList("items.action", String.class));
        Collections.reverse(newestFirst);
        return newestFirst;
    }

    @Test
    void aRunsStateChangesAreAuditedInOrderAndTheChainVerifies() throws InterruptedException {
        String id = LifecycleApiTest.submit(AccessControlTest.PLAN_SPEC);
        LifecycleApiTest.awaitStatus(id, "SUCCEEDED");
        // The workflow writes the run's status, then audits it: the event follows the status by a moment.
        List<String> expected = List.of("run.submit", "run.running", "stage.started", "stage.succeeded", "run.succeeded");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!actions(id).equals(expected) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(expected, actions(id));
        given().get("/api/audit/verify").then().statusCode(200).body("intact", equalTo(true))
                .body("reason", equalTo("OK")).body("anchoredThrough", notNullValue());
    }

    @Test
    void aCancelledRunsStagesAreAuditedAsCancelled() {
        String id = LifecycleApiTest.submit(AccessControlTest.SLOW_SPEC);
        LifecycleApiTest.await(id, r -> "RUNNING".equals(r.getString("stages[0].status")), "a running data stage");
        given().post("/api/runs/" + id + "/cancel").then().statusCode(200);
        LifecycleApiTest.awaitStatus(id, "CANCELLED");
        List<String> actions = actions(id);
        assertTrue(actions.containsAll(List.of("run.submit", "run.running", "stage.started", "run.cancel",
                "stage.cancelled", "run.cancelled")), actions.toString());
        assertTrue(actions.indexOf("run.cancel") < actions.indexOf("run.cancelled"), actions.toString());
    }

    /**
     * A compute worker starts a retry (it records the attempt in the ledger; it holds no audit key): the control
     * plane's clock audits it within seconds, while the stage still runs, naming the attempt before it; the
     * stage's end later audits it once, not again.
     */
    @Test
    void aRetryIsAuditedWhenItStartsNotWhenItsStageEnds() throws InterruptedException {
        String id = "retry-" + System.nanoTime();
        ledger.runs().createRun(new NewRun(id, "retry", null, "admin", "{}", "", List.of(), null));
        long row = ledger.runs().beginStage(id, "data", 1, "key-" + id, "{}", Map.of(), null);
        ledger.runs().attemptStarted(row, 1, "worker-1", null);
        ledger.runs().attemptEnded(row, 1, "FAILED", "java.io.IOException: disk gone\n\tat somewhere");
        long started = System.nanoTime();
        ledger.runs().attemptStarted(row, 2, "worker-2", null);
        List<AuditLog.AuditEvent> retried = List.of();
        while (retried.isEmpty()) {
            assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(5), "stage.retried within 5 s");
            Thread.sleep(100);
            retried = audit.events(id, null, 100, 0).stream().filter(e -> e.action().equals("stage.retried")).toList();
        }
        System.out.printf("retry audited %d ms after it started%n", (System.nanoTime() - started) / 1_000_000);
        JsonPath details = JsonPath.from(retried.get(0).details());
        assertEquals(2, details.getInt("attempt"));
        assertEquals("worker-2", details.getString("worker"));
        assertEquals("FAILED", details.getString("previous"));
        assertEquals("java.io.IOException: disk gone", details.getString("previousError"));

        new LedgerActivitiesImpl(ledger, audit, 0, outboxEvents).stageEnded(row, "FAILED", "gave up");
        assertEquals(List.of("stage.retried", "stage.failed"), actions(id));
    }

    @Test
    void onlyAdminsVerify() {
        if (users.user("val").isEmpty()) {
            users.createUser("val", AccessControlTest.PASSWORD, UserStore.Role.VIEWER, List.of("default"));
        }
        String token = users.createToken("val", "test").secret();
        AdminToken.forget();
        given().header("Authorization", "Bearer " + token).get("/api/audit/verify").then().statusCode(403)
                .body("detail", containsString("admin"));
    }

    @Test
    void theConsoleWorksAsARoleThatCannotTouchTheTriggers() throws SQLException {
        try (Connection c = ledger.jdbc().dataSource().getConnection(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT current_user")) {
                rs.next();
                assertEquals("lmforge_app", rs.getString(1));
            }
            SQLException e = assertThrows(SQLException.class,
                    () -> s.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change"));
            assertTrue(e.getMessage().contains("must be owner"), e.getMessage());
            assertThrows(SQLException.class, () -> s.execute("TRUNCATE audit_events"));
        }
    }
}
