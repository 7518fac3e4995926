package dev.lmforge.web;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.UserStore;
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
    void aRunsStateChangesAreAuditedInOrderAndTheChainVerifies() {
        String id = LifecycleApiTest.submit(AccessControlTest.PLAN_SPEC);
        LifecycleApiTest.awaitStatus(id, "SUCCEEDED");
        assertEquals(List.of("run.submit", "run.running", "stage.started", "stage.succeeded", "run.succeeded"),
                actions(id));
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
