package dev.lmforge.web;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lmforge.services.ledger.MetadataStore;
import dev.lmforge.services.ledger.UserStore;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.config.EncoderConfig;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Users, roles, teams, tokens, sessions and CSRF through the real API on the real local stack: who may see and
 * do what, and that refusals are problem bodies.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, restrictToAnnotatedClass = true)
class AccessControlTest {

    static final String PASSWORD = "a long test password";
    /** A plan-only spec: it needs no corpus and ends in seconds. */
    static final String PLAN_SPEC = "stages: [plan]\ncompute:\n  budget: 1.0e18\n";
    /** A data stage throttled to run for a while, so that there is something to cancel. */
    static final String SLOW_SPEC = "stages: [data]\ncorpus:\n  sources:\n    - path: " + LifecycleApiTest.CORPUS
            + "\ndata:\n  maxBytesPerSecond: 300000\n";

    @Inject
    UserStore users;
    @Inject
    MetadataStore ledger;
    @ConfigProperty(name = "lmforge.data-dir")
    String dataDir;

    @BeforeAll
    static void yamlIsText() {
        RestAssured.config = RestAssured.config().encoderConfig(
                EncoderConfig.encoderConfig().encodeContentTypeAs("application/yaml", ContentType.TEXT));
    }

    /** Two teams, an operator in each, and a viewer in red; made once (the Quarkus app outlives each test). */
    @BeforeEach
    void people() {
        if (users.user("rita").isPresent()) {
            return;
        }
        users.createTeam("red");
        users.createTeam("blue");
        users.createUser("rita", PASSWORD, UserStore.Role.OPERATOR, List.of("red"));
        users.createUser("bert", PASSWORD, UserStore.Role.OPERATOR, List.of("blue", "red"));
        users.createUser("vic", PASSWORD, UserStore.Role.VIEWER, List.of("red"));
    }

    static RequestSpecification as(String token) {
        return given().header("Authorization", "Bearer " + token);
    }

    String token(String user) {
        return users.createToken(user, "test").secret();
    }

    static String submit(String token, String yaml) {
        return as(token).contentType("application/yaml").body(yaml).post("/api/runs").then().statusCode(201).extract().path("id");
    }

    @Test
    void withoutCredentialsTheApiAnswers401ButHealthAndPagesStayOpen() {
        given().get("/api/runs").then().statusCode(401).contentType("application/problem+json")
                .header("WWW-Authenticate", containsString("Bearer")).body("status", equalTo(401));
        given().contentType("application/yaml").body(PLAN_SPEC).post("/api/runs").then().statusCode(401);
        given().get("/api/runs/run-none").then().statusCode(401);
        given().header("Authorization", "Bearer lmf_made-up").get("/api/runs").then().statusCode(401)
                .body("detail", containsString("unknown or revoked"));
        given().header("Authorization", "Basic YWRtaW46eA==").get("/api/runs").then().statusCode(401)
                .body("detail", containsString("Bearer"));
        given().get("/q/health").then().statusCode(200);
        given().get("/login.html").then().statusCode(200).body(containsString("Sign in"));
        given().get("/console/console.css").then().statusCode(200);
    }

    @Test
    void theFirstStartWroteTheAdminsPasswordAndTheCliTokenForTheOwnerOnly() throws Exception {
        Path credentials = Path.of(dataDir, "admin-credentials");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(credentials)));
        String password = Files.readString(credentials).lines().filter(l -> l.startsWith("password: ")).findFirst()
                .orElseThrow().substring(10);
        assertTrue(users.authenticate("admin", password).isPresent());
        assertEquals(List.of("default"), users.user("admin").orElseThrow().teams());
    }

    @Test
    void aViewerReadsButCannotSubmitOrCancel() {
        String rita = token("rita");
        String vic = token("vic");
        String id = submit(rita, SLOW_SPEC);
        as(vic).get("/api/runs/" + id).then().statusCode(200).body("team", equalTo("red"));
        as(vic).post("/api/runs/" + id + "/cancel").then().statusCode(403).contentType("application/problem+json")
                .body("detail", equalTo("user 'vic' has role viewer and may not cancel runs; that needs role operator"));
        as(vic).post("/api/runs/" + id + "/pause").then().statusCode(403);
        as(vic).queryParam("dryRun", true).post("/api/runs/" + id + "/resume").then().statusCode(409);
        as(vic).contentType("application/yaml").body(PLAN_SPEC).post("/api/runs").then().statusCode(403)
                .body("detail", containsString("may not submit runs"));
        as(rita).post("/api/runs/" + id + "/cancel").then().statusCode(200);
        as(rita).queryParam("target", id).get("/api/audit").then().statusCode(200)
                .body("items.action", hasItem("run.cancel")).body("items.actor", not(hasItem("vic")))
                .body("items.find { it.action == 'run.cancel' }.actor", equalTo("rita"));
    }

    @Test
    void anotherTeamsRunIsNotFoundNotForbiddenSoItsIdDoesNotLeak() {
        String rita = token("rita");
        String bert = token("bert");
        String blueRun = submit(bert, "name: blue-only\n" + PLAN_SPEC);
        as(bert).get("/api/runs/" + blueRun).then().statusCode(200).body("team", equalTo("blue"), "owner", equalTo("bert"));

        as(rita).get("/api/runs/" + blueRun).then().statusCode(404).body("detail", equalTo("no run " + blueRun));
        as(rita).get("/api/runs/" + blueRun + "/events").then().statusCode(404);
        as(rita).post("/api/runs/" + blueRun + "/cancel").then().statusCode(404);
        as(rita).queryParam("target", blueRun).get("/api/audit").then().statusCode(404);
        as(rita).get("/api/audit").then().statusCode(403).body("detail", containsString("target"));
        as(rita).queryParam("q", "blue-only").get("/api/runs").then().statusCode(200).body("total", equalTo(0));
        as(rita).queryParam("q", "blue-only").get("/api/console/runs").then().statusCode(200).body("total", equalTo(0));
        as(bert).queryParam("q", "blue-only").get("/api/runs").then().statusCode(200).body("total", equalTo(1));

        // What the blue run made is blue's too: its plan artifact and stage row are missing to rita.
        String plan = awaitSucceeded(bert, blueRun).path("stages[0].outputs.plan");
        long row = ((Number) as(bert).get("/api/runs/" + blueRun).path("stages[0].rowId")).longValue();
        as(bert).get("/api/artifacts/" + plan).then().statusCode(200);
        as(rita).get("/api/artifacts/" + plan).then().statusCode(404);
        as(rita).get("/api/artifacts/" + plan + "/content").then().statusCode(404);
        as(rita).get("/api/console/stages/" + row).then().statusCode(404);
        as(bert).get("/api/console/stages/" + row).then().statusCode(200);
    }

    private static Response awaitSucceeded(String token, String id) {
        for (int i = 0; i < 600; i++) {
            Response r = as(token).get("/api/runs/" + id);
            if ("SUCCEEDED".equals(r.path("status"))) {
                return r;
            }
            LifecycleApiTest.sleep(200);
        }
        throw new AssertionError("run " + id + " never succeeded");
    }

    @Test
    void aSpecRunsInTheSubmittersFirstTeamOrOneOfTheirsAndNoOther() {
        String bert = token("bert");
        String id = submit(bert, PLAN_SPEC);
        as(bert).get("/api/runs/" + id).then().body("team", equalTo("blue"));
        as(bert).get("/api/runs/" + submit(bert, "team: red\n" + PLAN_SPEC)).then().body("team", equalTo("red"));
        as(token("rita")).contentType("application/yaml").body("team: blue\n" + PLAN_SPEC).post("/api/runs").then()
                .statusCode(403).contentType("application/problem+json").body("errors[0].field", equalTo("team"));
        as(token("rita")).contentType("application/yaml").body("team: blue\n" + PLAN_SPEC).post("/api/specs/validate")
                .then().statusCode(200).body("valid", equalTo(false)).body("errors.field", hasItem("team"));
    }

    @Test
    void aSessionCookieNeedsTheCsrfTokenToChangeAnythingAndEndsAtLogOut() throws SQLException {
        as(token("rita")).get("/api/runs").then().statusCode(200);
        given().contentType("application/json").body(Map.of("user", "rita", "password", "wrong password!"))
                .post("/api/session/login").then().statusCode(401).body("detail", equalTo("user or password is wrong"));
        given().contentType("application/x-www-form-urlencoded").formParam("user", "rita").formParam("password", PASSWORD)
                .post("/api/session/login").then().statusCode(415);
        Response login = given().contentType("application/json").body(Map.of("user", "rita", "password", PASSWORD))
                .post("/api/session/login");
        login.then().statusCode(200).body("user", equalTo("rita"), "role", equalTo("operator"), "teams", equalTo(List.of("red")));
        String setCookie = login.header("Set-Cookie");
        assertTrue(setCookie.contains("HttpOnly") && setCookie.toLowerCase().contains("samesite=strict"), setCookie);
        String session = login.cookie("lmforge_session");
        String csrf = login.path("csrfToken");
        assertFalse(login.asString().contains(session), "the session cookie is not in the body");

        given().cookie("lmforge_session", session).get("/api/session").then().statusCode(200).body("csrfToken", equalTo(csrf));
        given().cookie("lmforge_session", session).get("/api/runs").then().statusCode(200);
        given().cookie("lmforge_session", session).contentType("application/yaml").body(PLAN_SPEC).post("/api/runs")
                .then().statusCode(403).contentType("application/problem+json").body("detail", containsString("X-CSRF-Token"));
        given().cookie("lmforge_session", session).header("X-CSRF-Token", csrf.replace(csrf.charAt(0), csrf.charAt(0) == 'a' ? 'b' : 'a'))
                .contentType("application/yaml").body(PLAN_SPEC).post("/api/runs").then().statusCode(403);
        String id = given().cookie("lmforge_session", session).header("X-CSRF-Token", csrf).contentType("application/yaml")
                .body(PLAN_SPEC).post("/api/runs").then().statusCode(201).extract().path("id");
        as(token("rita")).queryParam("target", id).get("/api/audit").then().body("items[0].actor", equalTo("rita"));

        given().cookie("lmforge_session", session).header("X-CSRF-Token", csrf).post("/api/session/logout").then().statusCode(204);
        given().cookie("lmforge_session", session).get("/api/runs").then().statusCode(401);
        assertFalse(tableAsText("sessions").contains(session), "sessions are kept as hashes of the cookie");
    }

    /** Every row of a table as PostgreSQL prints it (byte strings in hex). */
    private String tableAsText(String table) throws SQLException {
        StringBuilder rows = new StringBuilder();
        try (Connection c = ledger.dataSource().getConnection();
             ResultSet rs = c.createStatement().executeQuery("SELECT t::text FROM " + table + " t")) {
            while (rs.next()) {
                rows.append(rs.getString(1)).append('\n');
            }
        }
        return rows.toString();
    }

    @Test
    void aRevokedTokenStopsWorkingAndOnlyItsOwnerOrAnAdminCanRevokeIt() {
        String rita = token("rita");
        Response made = as(rita).contentType("application/json").body(Map.of("name", "nightly")).post("/api/tokens");
        made.then().statusCode(201).body("token.name", equalTo("nightly")).body("token.user", equalTo("rita"));
        String secret = made.path("secret");
        int id = made.path("token.id");
        as(secret).get("/api/runs").then().statusCode(200);
        as(rita).get("/api/tokens").then().statusCode(200).body("name", hasItem("nightly"))
                .body(not(containsString(secret)));

        as(token("bert")).delete("/api/tokens/" + id).then().statusCode(404);
        as(secret).get("/api/runs").then().statusCode(200);
        as(rita).delete("/api/tokens/" + id).then().statusCode(200).body("revokedAt", not(nullValue()));
        as(secret).get("/api/runs").then().statusCode(401).body("detail", containsString("revoked"));
    }

    @Test
    void onlyAnAdminManagesUsersAndPasswordsAreNeverStoredInClear() throws SQLException {
        String admin = token("admin");
        String rita = token("rita");
        as(rita).get("/api/users").then().statusCode(403);
        as(rita).contentType("application/json").body(Map.of("name", "mallory", "password", PASSWORD, "role", "admin",
                "teams", List.of("red"))).post("/api/users").then().statusCode(403);
        as(rita).get("/api/teams").then().statusCode(200).body("", equalTo(List.of("red")));

        as(admin).contentType("application/json").body(Map.of("name", "newcomer", "password", "short", "role", "viewer",
                "teams", List.of())).post("/api/users").then().statusCode(400).body("errors[0].field", equalTo("password"));
        as(admin).contentType("application/json").body(Map.of("name", "newcomer", "password", PASSWORD, "role", "boss",
                "teams", List.of())).post("/api/users").then().statusCode(400).body("errors[0].field", equalTo("role"));
        String password = "newcomer's own secret phrase";
        as(admin).contentType("application/json").body(Map.of("name", "newcomer", "password", password, "role", "viewer",
                "teams", List.of("blue"))).post("/api/users").then().statusCode(201)
                .body("name", equalTo("newcomer"), "role", equalTo("viewer"), "teams", equalTo(List.of("blue")))
                .body(not(containsString(password)));
        as(admin).contentType("application/json").body(Map.of("name", "red")).post("/api/users/newcomer/teams").then()
                .statusCode(200).body("teams", equalTo(List.of("blue", "red")));
        as(admin).get("/api/users").then().statusCode(200).body("name", hasItem("newcomer"))
                .body(not(containsString(password)));

        String stored = tableAsText("users");
        assertTrue(stored.contains("newcomer"));
        assertFalse(stored.contains(password) || stored.contains(HexFormat.of().formatHex(password.getBytes(StandardCharsets.UTF_8))),
                "a password is never stored in clear");
        as(admin).queryParam("target", "user:newcomer").get("/api/audit").then().statusCode(200)
                .body("items.action", hasItem("user.create")).body("items.actor", hasItem("admin"));
    }
}
