package dev.lmforge.web;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import dev.lmforge.services.ledger.UserStore;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the API refuses or adds whatever the resource: NUL characters in bodies, security headers, bodies too
 * large, and conditional and ranged reads of artifact content; on the real local stack.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, restrictToAnnotatedClass = true)
class RequestHardeningTest {

    @Inject
    UserStore users;

    @BeforeEach
    void asAdmin() {
        AdminToken.useFor(users, "RequestHardeningTest");
    }

    @AfterEach
    void signOut() {
        AdminToken.forget();
    }

    private static String spec(String name, String path) {
        return "name: " + name + "\nstages: [data]\ncorpus:\n  sources:\n    - path: " + path + "\n";
    }

    @Test
    void aNulInASpecIsA400NamingTheField() {
        given().contentType("text/plain").body(spec("\"a\\0b\"", "samples/corpus")).post("/api/runs")
                .then().statusCode(400).contentType("application/problem+json")
                .body("errors[0].field", equalTo("name")).body("detail", not(containsString("SQL")));
        String json = "{\"name\":\"ok\",\"stages\":[\"data\"],\"corpus\":{\"sources\":[{\"path\":\"x\\u0000y\"}]}}";
        given().contentType("application/json").body(json).post("/api/runs")
                .then().statusCode(400).contentType("application/problem+json")
                .body("errors[0].field", equalTo("corpus.sources[0].path"));
        given().contentType("application/json").body(json).post("/api/specs/validate")
                .then().statusCode(200).body("valid", equalTo(false))
                .body("errors[0].field", equalTo("corpus.sources[0].path"));
        String key = "{\"name\":\"ok\",\"stages\":[\"data\"],\"corpus\":{\"sources\":[{\"path\":\"x\"}]},"
                + "\"data\":{\"remix\":{\"domainWeights\":{\"web\\u0000\":1.0}}}}";
        given().contentType("application/json").body(key).post("/api/runs")
                .then().statusCode(400).contentType("application/problem+json")
                .body("errors[0].field", equalTo("data.remix.domainWeights"));
    }

    @Test
    void aNulInAJsonBodyIsA400NamingTheField() {
        given().contentType("application/json").body(Map.of("name", "laptop\u0000")).post("/api/tokens")
                .then().statusCode(400).contentType("application/problem+json").body("errors[0].field", equalTo("name"));
        given().contentType("application/json").body(Map.of("user", "ad\u0000min", "password", "x"))
                .post("/api/session/login")
                .then().statusCode(400).contentType("application/problem+json").body("errors[0].field", equalTo("user"));
        given().contentType("application/json").body(Map.of("name", "ok", "password", "a long enough password",
                        "role", "viewer", "teams", List.of("research", "x\u0000"))).post("/api/users")
                .then().statusCode(400).contentType("application/problem+json")
                .body("errors[0].field", equalTo("teams[1]"));
    }
}
