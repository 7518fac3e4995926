package dev.lmforge.web;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.UserStore;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import io.restassured.RestAssured;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
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
    @Inject
    ArtifactStore store;
    @Inject
    Ledger ledger;

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

    @Test
    void aNulInAPathOrQueryParameterIsA400NamingIt() {
        given().urlEncodingEnabled(false).get("/api/runs?q=a%00b").then().statusCode(400)
                .contentType("application/problem+json").body("errors[0].field", equalTo("q"));
        given().urlEncodingEnabled(false).get("/api/runs/run-%00/evaluations").then().statusCode(400)
                .contentType("application/problem+json").body("errors[0].field", equalTo("id"));
    }

    @Test
    void everyResponseCarriesTheSecurityHeadersAndPagesAreNeverImmutable() {
        for (String path : List.of("/", "/index.html", "/run.html", "/console/console.js", "/console/console.css",
                "/api/runs", "/api/no-such-thing", "/q/health")) {
            given().get(path).then()
                    .header("Content-Security-Policy", containsString("script-src 'self'"))
                    .header("Content-Security-Policy", containsString("style-src 'self'"))
                    .header("Content-Security-Policy", containsString("frame-ancestors 'none'"))
                    .header("X-Content-Type-Options", equalTo("nosniff"))
                    .header("X-Frame-Options", equalTo("DENY"));
        }
        AdminToken.forget();
        given().get("/api/runs").then().statusCode(401).header("X-Frame-Options", equalTo("DENY"));
        for (String path : List.of("/", "/index.html", "/login.html", "/console/console.js")) {
            given().get(path).then().statusCode(200).header("Cache-Control", equalTo("no-cache"));
        }
    }

    /** The policy refuses inline scripts, style attributes and handlers, so the pages must hold none. */
    @Test
    void thePagesHoldNothingInlineThatThePolicyWouldRefuse() throws IOException {
        Path pages = Path.of("src/main/resources/META-INF/resources");
        List<Path> files;
        try (Stream<Path> walk = Files.walk(pages)) {
            files = walk.filter(f -> f.toString().endsWith(".html") || f.toString().endsWith(".js")).toList();
        }
        assertFalse(files.isEmpty());
        Pattern inline = Pattern.compile("style=|style:\\s*['`\"]|<script(?![^>]*\\ssrc=)[^>]*>|<style|\\son[a-z]+=\"|javascript:",
                Pattern.CASE_INSENSITIVE);
        for (Path file : files) {
            Matcher m = inline.matcher(Files.readString(file));
            assertFalse(m.find(), () -> file + " holds inline '" + m.group() + "'");
        }
    }

    @Test
    void aBodyTooLargeIsAProblem() throws IOException {
        String big = spec("big", "samples/corpus") + "# " + "x".repeat(300 * 1024) + "\n";
        given().contentType("text/plain").body(big).post("/api/runs")
                .then().statusCode(413).contentType("application/problem+json").body("status", equalTo(413));
        // Refused on its Content-Length, before the body is sent: a client that sends it would be cut off.
        String head = "POST /api/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + 11 * 1024 * 1024 + "\r\n\r\n";
        try (Socket socket = new Socket("127.0.0.1", RestAssured.port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(response.startsWith("HTTP/1.1 413"), response);
            assertTrue(response.toLowerCase(Locale.ROOT).contains("content-type: application/problem+json"), response);
            assertTrue(response.toLowerCase(Locale.ROOT).contains("x-content-type-options: nosniff"), response);
            assertTrue(response.contains("\"status\":413"), response);
        }
    }

    @Test
    void anArtifactDownloadIsAnAttachmentNamedByItsKindDigestAndType() {
        byte[] bytes = "{\"format\": 1}".getBytes(StandardCharsets.UTF_8);
        String digest = store.put(bytes).digest();
        ledger.artifacts().recordArtifact(digest, "data-report", bytes.length, "{}");
        String disposition = "attachment; filename=\"data-report-" + digest.substring(0, 12) + ".json\"";
        given().get("/api/artifacts/" + digest + "/content").then().statusCode(200)
                .header("Content-Disposition", disposition);
        given().header("Range", "bytes=0-1").get("/api/artifacts/" + digest + "/content").then().statusCode(206)
                .header("Content-Disposition", disposition);
    }

    @Test
    void artifactContentAnswersConditionalAndRangedReads() {
        byte[] bytes = "0123456789 the bytes of a small artifact".getBytes(StandardCharsets.UTF_8);
        String digest = store.put(bytes).digest();
        ledger.artifacts().recordArtifact(digest, "test", bytes.length, "{}");
        String path = "/api/artifacts/" + digest + "/content";
        String etag = "\"" + digest + "\"";
        String text = new String(bytes, StandardCharsets.UTF_8);

        given().get(path).then().statusCode(200).header("ETag", etag).header("Accept-Ranges", "bytes")
                .body(equalTo(text));
        given().header("If-None-Match", etag).get(path).then().statusCode(304).header("ETag", etag);
        given().header("If-None-Match", "\"other\", W/" + etag).get(path).then().statusCode(304);
        given().header("If-None-Match", "\"other\"").get(path).then().statusCode(200).body(equalTo(text));

        given().header("Range", "bytes=2-5").get(path).then().statusCode(206)
                .header("Content-Range", "bytes 2-5/" + bytes.length).header("Content-Length", "4").body(equalTo("2345"));
        given().header("Range", "bytes=-8").get(path).then().statusCode(206)
                .header("Content-Range", "bytes " + (bytes.length - 8) + "-" + (bytes.length - 1) + "/" + bytes.length)
                .body(equalTo(text.substring(bytes.length - 8)));
        given().header("Range", "bytes=30-1000").get(path).then().statusCode(206).body(equalTo(text.substring(30)));
        given().header("Range", "bytes=" + bytes.length + "-").get(path).then().statusCode(416)
                .contentType("application/problem+json").header("Content-Range", "bytes */" + bytes.length)
                .body("status", equalTo(416));
        given().header("Range", "bytes=-0").get(path).then().statusCode(416);
        // Several ranges, a malformed one, or an If-Range that is not the ETag: the whole artifact.
        given().header("Range", "bytes=0-1,4-5").get(path).then().statusCode(200).body(equalTo(text));
        given().header("Range", "bytes=5-2").get(path).then().statusCode(200).body(equalTo(text));
        given().header("Range", "bytes=2-5").header("If-Range", "\"stale\"").get(path).then().statusCode(200)
                .body(equalTo(text));
        given().header("Range", "bytes=2-5").header("If-Range", etag).get(path).then().statusCode(206);
    }
}
