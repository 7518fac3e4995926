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

import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.UserStore;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.config.EncoderConfig;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Users, roles, teams, tokens, sessions and CSRF through the real API on the real local stack: who may see and
 * do what, that refusals are problem bodies and audited, sign-in lock-outs, password changes and disabled users.
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
    Ledger ledger;
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
                .body("items.action", hasItem("run.cancel"))
                .body("items.find { it.action == 'run.cancel' }.actor", equalTo("rita"))
                .body("items.findAll { it.actor == 'vic' }.action", equalTo(List.of("access.denied", "access.denied")))
                .body("items.find { it.actor == 'vic' }.details", containsString("POST /api/runs/" + id + "/pause"))
                .body("items.findAll { it.actor == 'vic' }[1].details", containsString("may not cancel runs"));
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
        as(bert).queryParam("q", "blue-only").get("/api/runs").then().statusCode(200).body("total", equalTo(1));

        // What the blue run made is blue's too: its plan artifact and stage row are missing to rita.
        String plan = awaitSucceeded(bert, blueRun).path("stages[0].outputs.plan");
        long row = ((Number) as(bert).get("/api/runs/" + blueRun).path("stages[0].rowId")).longValue();
        as(bert).get("/api/artifacts/" + plan).then().statusCode(200);
        as(rita).get("/api/artifacts/" + plan).then().statusCode(404);
        as(rita).get("/api/artifacts/" + plan + "/content").then().statusCode(404);
        as(rita).get("/api/console/stages/" + row).then().statusCode(404);
        as(bert).get("/api/console/stages/" + row).then().statusCode(200);
        // So is the log of its plan attempt.
        String log = "/api/runs/" + blueRun + "/stages/plan/attempts/1/log";
        as(bert).get(log).then().statusCode(200).contentType(containsString("text/plain"))
                .body(containsString("plan attempt 1 of run " + blueRun));
        as(rita).get(log).then().statusCode(404).contentType("application/problem+json");
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
                .post("/api/session/login").then().statusCode(401)
                .body("detail", equalTo("user or password is wrong, or the user is disabled"));
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
        // The run's own state changes follow by actor system; the request is rita's.
        as(token("rita")).queryParam("target", id).get("/api/audit").then()
                .body("items.find { it.action == 'run.submit' }.actor", equalTo("rita"));
        as(token("admin")).queryParam("actor", "rita").queryParam("target", "/api/runs").get("/api/audit").then()
                .body("items.action", hasItem("access.denied")).body("items.details", hasItem(containsString("X-CSRF-Token")));

        given().cookie("lmforge_session", session).header("X-CSRF-Token", csrf).post("/api/session/logout").then().statusCode(204);
        given().cookie("lmforge_session", session).get("/api/runs").then().statusCode(401);
        assertFalse(tableAsText("sessions").contains(session), "sessions are kept as hashes of the cookie");
    }

    static Response login(String user, String password) {
        return given().contentType("application/json").body(Map.of("user", user, "password", password)).post("/api/session/login");
    }

    /** A request with a session cookie and its CSRF token, as the console's pages send them. */
    static RequestSpecification inSession(Response login) {
        return given().cookie("lmforge_session", login.cookie("lmforge_session")).header("X-CSRF-Token", login.path("csrfToken"));
    }

    @Test
    void repeatedWrongPasswordsLockTheNameOutEvenForTheRightPasswordAndNeverTellIfTheUserExists() throws SQLException {
        users.createUser("lou", PASSWORD, UserStore.Role.VIEWER, List.of("red"));
        List<String> lockOuts = new java.util.ArrayList<>();
        for (String name : List.of("lou", "no-such-user")) {
            for (int i = 1; i < 5; i++) {
                login(name, "guess number " + i).then().statusCode(401);
            }
            Response locked = login(name, "guess number 5");
            locked.then().statusCode(429).contentType("application/problem+json").body("detail", containsString("try again in 5 min"));
            long retryAfter = Long.parseLong(locked.header("Retry-After"));
            assertTrue(retryAfter > 240 && retryAfter <= 300, "Retry-After: " + retryAfter);
            lockOuts.add(locked.<String>path("detail").replaceAll("\\d", "#"));
        }
        assertEquals(lockOuts.get(0), lockOuts.get(1), "a lock-out reads the same whether or not the user exists");
        assertFalse(lockOuts.get(0).contains("lou"), lockOuts.get(0));
        login("lou", PASSWORD).then().statusCode(429).header("Retry-After", not(nullValue()));

        // The counts are in PostgreSQL, not in this process.
        assertTrue(tableAsText("login_throttle").contains("user:lou"));
        String admin = token("admin");
        as(admin).queryParam("target", "user:lou").get("/api/audit").then().statusCode(200)
                .body("items.action", hasItem("session.lockout")).body("items.action", hasItem("session.login.locked"))
                .body("items.findAll { it.action == 'session.login.fail' }.size()", equalTo(5))
                .body("items.find { it.action == 'session.login.fail' }.actor", equalTo("anonymous"))
                .body("items.find { it.action == 'session.login.fail' }.details", containsString("\"client\":"))
                .body(not(containsString("guess number")));
        as(admin).get("/api/audit/verify").then().body("intact", equalTo(true));

        // Once the lock-out has run its time (moved to the past here), the right password signs in and clears the count.
        sql("UPDATE login_throttle SET locked_until = now() - interval '1 second' WHERE key = 'user:lou'");
        login("lou", PASSWORD).then().statusCode(200);
        assertFalse(tableAsText("login_throttle").contains("user:lou"));
        // Every test signs in from this address: forget its failures, so that they do not add up to its own lock-out.
        sql("DELETE FROM login_throttle WHERE key LIKE 'client:%'");
    }

    @Test
    void parallelWrongPasswordsAreCheckedAtMostTheLimitAndALockedOutFloodIsAuditedOnce() throws Exception {
        users.createUser("rex", PASSWORD, UserStore.Role.VIEWER, List.of("red"));
        assertEquals(List.of(4, 26), statusesOfParallelLogins("rex", 30, List.of(401, 429)));
        String admin = token("admin");
        as(admin).queryParam("target", "user:rex").get("/api/audit").then().statusCode(200)
                .body("items.findAll { it.action == 'session.login.fail' }.size()", equalTo(5))
                .body("items.findAll { it.action == 'session.lockout' }.size()", equalTo(1))
                .body("items.findAll { it.action == 'session.login.locked' }.size()", equalTo(1));

        // A flood while locked out adds no audit row: it is only counted.
        int before = as(admin).queryParam("target", "user:rex").get("/api/audit").then().extract().path("total");
        assertEquals(List.of(0, 40), statusesOfParallelLogins("rex", 40, List.of(401, 429)));
        assertEquals(before, (int) as(admin).queryParam("target", "user:rex").get("/api/audit").then().extract().path("total"));
        try (Connection c = ledger.jdbc().dataSource().getConnection(); ResultSet rs = c.createStatement().executeQuery(
                "SELECT refused_while_locked FROM login_throttle WHERE key = 'user:rex'")) {
            assertTrue(rs.next());
            // Of the first 26 429s, one is the fifth guess itself: checked, and it started the lock-out.
            assertEquals(25 + 40, rs.getInt(1), "every refusal is counted");
        }
        sql("DELETE FROM login_throttle WHERE key LIKE 'client:%'");
    }

    /** How many of {@code n} wrong passwords for {@code name}, sent all at once, got each of {@code statuses}. */
    private static List<Integer> statusesOfParallelLogins(String name, int n, List<Integer> statuses) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> codes = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String guess = "guess number " + i;
                codes.add(pool.submit(() -> {
                    start.await();
                    return login(name, guess).statusCode();
                }));
            }
            start.countDown();
            List<Integer> got = new ArrayList<>();
            for (Future<Integer> f : codes) {
                got.add(f.get(60, TimeUnit.SECONDS));
            }
            assertTrue(statuses.containsAll(got), "statuses " + got);
            return statuses.stream().map(s -> (int) got.stream().filter(s::equals).count()).toList();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void oneUserMayHoldOnlyEightRunStreamsSoOthersStillGetTheirsAndAClosedOneFreesItsPlace() throws Exception {
        String rita = token("rita");
        String vic = token("vic");
        String id = submit(rita, SLOW_SPEC.replace("300000", "65536"));  // the slowest allowed
        HttpClient http = HttpClient.newHttpClient();
        List<HttpResponse<InputStream>> streams = new ArrayList<>();
        try {
            for (int i = 1; i <= 8; i++) {
                streams.add(openStream(http, vic, id));
                assertEquals(200, streams.get(streams.size() - 1).statusCode(), "stream " + i);
            }
            HttpResponse<InputStream> refused = openStream(http, vic, id);
            String problem = new String(refused.body().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(429, refused.statusCode(), problem);
            assertEquals("application/problem+json", refused.headers().firstValue("Content-Type").orElse("").split(";")[0]);
            assertTrue(problem.contains("lmforge.streams.per-user = 8"), problem);
            assertTrue(refused.headers().firstValue("Retry-After").isPresent());

            streams.add(openStream(http, token("admin"), id));
            assertEquals(200, streams.get(streams.size() - 1).statusCode(), "another user is not held back");

            streams.remove(0).body().close();
            HttpResponse<InputStream> again = openStream(http, vic, id);
            for (long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                 again.statusCode() == 429 && System.nanoTime() < deadline; again = openStream(http, vic, id)) {
                again.body().close();
                Thread.sleep(200);
            }
            streams.add(again);
            assertEquals(200, again.statusCode(), "the closed stream's place is free again");
        } finally {
            for (HttpResponse<InputStream> s : streams) {
                s.body().close();
            }
            as(rita).post("/api/runs/" + id + "/cancel").then().statusCode(200);
        }
    }

    /** Opens a run's server-sent event stream; returns once the status and headers have come. */
    private static HttpResponse<InputStream> openStream(HttpClient http, String token, String runId) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + RestAssured.port + "/api/runs/" + runId + "/events"))
                .header("Authorization", "Bearer " + token).header("Accept", "text/event-stream").build(),
                HttpResponse.BodyHandlers.ofInputStream());
    }

    @Test
    void aPasswordChangeNeedsTheCurrentOneAndClosesTheOtherSessionsButNotTheTokens() {
        users.createUser("pam", PASSWORD, UserStore.Role.OPERATOR, List.of("red"));
        String token = token("pam");
        Response here = login("pam", PASSWORD);
        Response elsewhere = login("pam", PASSWORD);
        String changed = "pam's brand new password";

        given().cookie("lmforge_session", here.cookie("lmforge_session")).contentType("application/json")
                .body(Map.of("currentPassword", PASSWORD, "password", changed)).post("/api/account/password").then().statusCode(403);
        inSession(here).contentType("application/json").body(Map.of("currentPassword", "not it at all", "password", changed))
                .post("/api/account/password").then().statusCode(400).body("errors[0].field", equalTo("currentPassword"));
        inSession(here).contentType("application/json").body(Map.of("currentPassword", PASSWORD, "password", "too short"))
                .post("/api/account/password").then().statusCode(400).body("errors[0].field", equalTo("password"));
        inSession(here).contentType("application/json").body(Map.of("currentPassword", PASSWORD, "password", "pam         "))
                .post("/api/account/password").then().statusCode(400).body("errors[0].field", equalTo("password"))
                .body("detail", containsString("user name"));
        inSession(here).contentType("application/json").body(Map.of("currentPassword", PASSWORD, "password", changed))
                .post("/api/account/password").then().statusCode(200).body("closedSessions", equalTo(1));

        inSession(here).get("/api/session").then().statusCode(200);
        inSession(elsewhere).get("/api/session").then().statusCode(401);
        as(token).get("/api/runs").then().statusCode(200);
        login("pam", PASSWORD).then().statusCode(401);
        login("pam", changed).then().statusCode(200);

        // An admin resets it (their own they change as anyone does); an operator may not.
        String admin = token("admin");
        as(token("rita")).contentType("application/json").body(Map.of("password", "rita chose this one"))
                .post("/api/users/pam/password").then().statusCode(403);
        as(admin).contentType("application/json").body(Map.of("password", "a long enough one")).post("/api/users/admin/password")
                .then().statusCode(409).contentType("application/problem+json");
        as(admin).contentType("application/json").body(Map.of("password", "reset by the admin")).post("/api/users/pam/password")
                .then().statusCode(200).body("closedSessions", equalTo(2));
        inSession(here).get("/api/session").then().statusCode(401);
        as(token).get("/api/runs").then().statusCode(200);
        login("pam", "reset by the admin").then().statusCode(200);
        as(admin).queryParam("target", "user:pam").get("/api/audit").then().statusCode(200)
                .body("items.action", hasItem("user.password.change")).body("items.action", hasItem("user.password.change.fail"))
                .body("items.find { it.action == 'user.password.reset' }.actor", equalTo("admin"))
                .body("items.find { it.action == 'access.denied' }.actor", equalTo("rita"));
    }

    @Test
    void aDisabledUserIsRefusedAtOnceAndEnablingRestoresTheTokensThatWereNotRevoked() {
        users.createUser("dan", PASSWORD, UserStore.Role.OPERATOR, List.of("red"));
        String live = token("dan");
        UserStore.NewToken revokedToken = users.createToken("dan", "revoked");
        String revoked = revokedToken.secret();
        as(live).delete("/api/tokens/" + revokedToken.token().id()).then().statusCode(200);
        Response session = login("dan", PASSWORD);
        String admin = token("admin");

        as(token("rita")).post("/api/users/dan/disable").then().statusCode(403);
        as(admin).post("/api/users/admin/disable").then().statusCode(409).contentType("application/problem+json")
                .body("detail", containsString("themself"));
        as(admin).post("/api/users/nobody-at-all/disable").then().statusCode(404);
        as(admin).post("/api/users/dan/disable").then().statusCode(200).body("disabledAt", not(nullValue()));
        as(live).get("/api/runs").then().statusCode(401).body("detail", containsString("disabled"));
        inSession(session).get("/api/runs").then().statusCode(401);
        login("dan", PASSWORD).then().statusCode(401);
        as(admin).get("/api/users").then().body("find { it.name == 'dan' }.disabledAt", not(nullValue()))
                .body("find { it.name == 'rita' }.disabledAt", nullValue());

        as(admin).post("/api/users/dan/enable").then().statusCode(200).body("disabledAt", nullValue());
        as(live).get("/api/runs").then().statusCode(200);
        as(revoked).get("/api/runs").then().statusCode(401);
        inSession(session).get("/api/runs").then().statusCode(401);
        login("dan", PASSWORD).then().statusCode(200);
        as(admin).queryParam("target", "user:dan").get("/api/audit").then()
                .body("items.action", hasItem("user.disable")).body("items.action", hasItem("user.enable"));
    }

    private void sql(String statement) throws SQLException {
        try (Connection c = ledger.jdbc().dataSource().getConnection()) {
            c.createStatement().execute(statement);
        }
    }

    /** Every row of a table as PostgreSQL prints it (byte strings in hex). */
    private String tableAsText(String table) throws SQLException {
        StringBuilder rows = new StringBuilder();
        try (Connection c = ledger.jdbc().dataSource().getConnection();
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
