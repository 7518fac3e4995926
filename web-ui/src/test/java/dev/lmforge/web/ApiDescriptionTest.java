package dev.lmforge.web;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.microsoft.playwright.Page;
import dev.lmforge.services.ledger.UserStore;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The API's description as served at {@code /q/openapi}, read as a client generator would, and Swagger UI; and
 * two answers the description promises (a run's spec as an object, an unknown metric as a 404 problem). On the
 * real local stack.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, restrictToAnnotatedClass = true)
class ApiDescriptionTest {

    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");

    @Inject
    UserStore users;
    @TestHTTPResource("/")
    URL base;

    @BeforeEach
    void asAdmin() {
        AdminToken.useFor(users, "ApiDescriptionTest");
    }

    @AfterEach
    void signOut() {
        AdminToken.forget();
    }

    private static JsonNode document() throws Exception {
        String body = given().accept("application/json").get("/q/openapi?format=json").then().statusCode(200)
                .extract().asString();
        return new ObjectMapper().readTree(body);
    }

    @Test
    void everyOperationParameterAndAnswerIsDescribed() throws Exception {
        JsonNode api = document();
        List<String> faults = new ArrayList<>();
        int operations = 0;
        for (Map.Entry<String, JsonNode> path : api.path("paths").properties()) {
            for (Map.Entry<String, JsonNode> op : path.getValue().properties()) {
                if (!METHODS.contains(op.getKey())) {
                    continue;
                }
                operations++;
                String where = op.getKey().toUpperCase() + " " + path.getKey();
                JsonNode o = op.getValue();
                if (o.path("description").asText("").isBlank() || o.path("summary").asText("").isBlank()) {
                    faults.add(where + ": no summary or description");
                }
                for (JsonNode p : o.path("parameters")) {
                    if (p.path("description").asText("").isBlank()) {
                        faults.add(where + ": parameter " + p.path("name").asText() + " has no description");
                    }
                }
                for (Map.Entry<String, JsonNode> r : o.path("responses").properties()) {
                    String code = r.getKey();
                    for (Map.Entry<String, JsonNode> media : r.getValue().path("content").properties()) {
                        JsonNode schema = media.getValue().path("schema");
                        if (code.startsWith("2") && (schema.isMissingNode() || schema.isEmpty())) {
                            faults.add(where + ": " + code + " " + media.getKey() + " has an empty schema");
                        }
                        if ((code.startsWith("4") || code.startsWith("5")) && !(media.getKey().equals("application/problem+json")
                                && schema.path("$ref").asText().equals("#/components/schemas/Problem"))) {
                            faults.add(where + ": error " + code + " is not a problem+json Problem");
                        }
                    }
                    if ((code.startsWith("4") || code.startsWith("5")) && r.getValue().path("content").isEmpty()) {
                        faults.add(where + ": error " + code + " has no body");
                    }
                }
                boolean login = path.getKey().equals("/api/session/login");
                if (path.getKey().startsWith("/api/") && !login && !o.path("responses").has("401")) {
                    faults.add(where + ": does not list 401");
                }
                if (o.has("requestBody") && !o.path("responses").has("413")) {
                    faults.add(where + ": takes a body but does not list 413");
                }
            }
        }
        // A nested schema of {} says nothing about the field either.
        for (Map.Entry<String, JsonNode> schema : api.path("components").path("schemas").properties()) {
            for (Map.Entry<String, JsonNode> property : schema.getValue().path("properties").properties()) {
                if (property.getValue().isEmpty()) {
                    faults.add("schema " + schema.getKey() + "." + property.getKey() + " is empty");
                }
            }
        }
        assertTrue(operations >= 30, "the document lists only " + operations + " operations");
        assertEquals(List.of(), faults);
    }

    @Test
    void bearerAndCookieSchemesAndTheErrorsEachOperationGives() throws Exception {
        JsonNode api = document();
        JsonNode schemes = api.path("components").path("securitySchemes");
        assertEquals("http", schemes.path("bearer").path("type").asText());
        assertEquals("bearer", schemes.path("bearer").path("scheme").asText());
        assertEquals("apiKey", schemes.path("session").path("type").asText());
        assertEquals("cookie", schemes.path("session").path("in").asText());
        assertEquals("lmforge_session", schemes.path("session").path("name").asText());
        assertEquals(2, api.path("security").size(), "either scheme authenticates any operation");
        JsonNode paths = api.path("paths");
        assertTrue(paths.path("/api/session/login").path("post").path("security").isEmpty(), "signing in needs no credentials");
        assertTrue(paths.path("/api/session/login").path("post").path("responses").has("429"));
        JsonNode pause = paths.path("/api/runs/{id}/pause").path("post").path("responses");
        for (String code : List.of("200", "401", "403", "404", "409")) {
            assertTrue(pause.has(code), "pause lists " + code);
        }
        assertTrue(paths.path("/api/runs").path("post").path("responses").has("201"));
        assertTrue(paths.path("/api/runs").path("post").path("responses").has("413"));
        assertTrue(paths.path("/api/runs/{id}/events").path("get").path("responses").has("429"));
        assertTrue(paths.path("/api/runs/{id}/metrics/{stage}/{name}").path("get").path("responses").has("404"));
        assertTrue(paths.path("/api/runs/{id}/stages/{stage}/attempts/{attempt}/log").path("get").path("responses")
                .path("200").path("headers").has("X-Lmforge-Log-Complete"));
        assertTrue(api.path("components").path("schemas").path("Problem").path("properties").has("detail"));
    }

    @Test
    void swaggerUiIsServedWithItsOwnPolicy() {
        given().get("/q/swagger-ui/").then().statusCode(200).contentType(containsString("text/html"))
                .body(containsString("swagger-ui-bundle.js"))
                .header("Content-Security-Policy", containsString("connect-src 'self'"))
                .header("Content-Security-Policy", containsString("frame-ancestors 'none'"));
        // It draws every operation in a real browser, under its policy.
        try (ConsoleBrowser browser = ConsoleBrowser.launch()) {
            Page page = browser.newPage(base.toString());
            page.navigate("/q/swagger-ui/");
            page.locator(".opblock").first().waitFor();
            assertTrue(page.locator(".opblock").count() >= 30, "Swagger UI shows " + page.locator(".opblock").count() + " operations");
            assertTrue(page.locator("button.authorize").isVisible(), "it offers the security schemes");
            ConsoleBrowser.screenshot(page, "swagger-ui");
            assertEquals(List.of(), browser.policyViolations());
        }
        // The console's pages keep the strict policy: no inline script.
        given().get("/login.html").then().statusCode(200)
                .header("Content-Security-Policy", not(containsString("unsafe-inline")));
    }

    @Test
    void aSubmittedRunAnswersItsViewAndAnUnknownMetricIsA404() {
        String spec = "name: described\nstages: [data]\ncorpus:\n  sources:\n    - path: samples/corpus\n";
        String id = given().contentType("text/plain").body(spec).post("/api/runs").then().statusCode(201)
                .body("spec.name", equalTo("described")).body("stages[0].stage", equalTo("data"))
                .extract().path("id");
        given().get("/api/runs/" + id).then().statusCode(200).body("spec.corpus.sources[0].path", equalTo("samples/corpus"));
        given().get("/api/runs/" + id + "/metrics/pretrain/no_such_series").then().statusCode(404)
                .contentType("application/problem+json").body("status", equalTo(404))
                .body("detail", containsString("no metric 'no_such_series' for stage 'pretrain'"));
        given().get("/api/runs/no-such-run/metrics/pretrain/loss").then().statusCode(404)
                .contentType("application/problem+json");
        given().get("/api/runs/" + id + "/stages/data/attempts/99/log").then().statusCode(404)
                .contentType("application/problem+json").body("detail", containsString("no log for attempt 99"));
        given().get("/api/runs/" + id + "/stages/data/attempts/0/log").then().statusCode(400)
                .contentType("application/problem+json").body("detail", containsString("attempt:"));
        given().post("/api/runs/" + id + "/cancel");
    }
}
