package dev.lmforge.web;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lmforge.services.PinnedPython;
import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.services.ledger.WorkerRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The OpenAI-compatible API on the real local stack, answered by the in-process compute worker's inference
 * endpoint with a model that a run of this test trained (data, tokenizer, plan and pretrain at a tiny budget, a
 * context of 32 tokens): each bad input is a problem naming its field, another team's model is not found, the
 * streamed text is the text of the whole answer, and a worker that dies or goes silent mid-stream ends the
 * stream with an error event (the idle timeout is 15 s in the tests); and the official openai client gets the
 * text of {@code lmforge model generate}.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, restrictToAnnotatedClass = true)
class OpenAiApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger FAKE_WORKERS = new AtomicInteger();
    /** The context of the model the test trains. */
    static final int CONTEXT = ServingModel.CONTEXT;

    @Inject
    UserStore users;
    @Inject
    Ledger ledger;
    @TestHTTPResource("/")
    URL base;

    static String gina;
    static String otto;
    static String runId;
    static String digest;
    static String corpus;

    /** Two teams, a user in each; gina's run trains the model (once: the Quarkus app outlives each test). */
    @BeforeEach
    void model() {
        if (runId != null) {
            return;
        }
        users.createTeam("green");
        users.createTeam("orange");
        users.createUser("gina", AccessControlTest.PASSWORD, UserStore.Role.OPERATOR, List.of("green"));
        users.createUser("otto", AccessControlTest.PASSWORD, UserStore.Role.OPERATOR, List.of("orange"));
        gina = users.createToken("gina", "OpenAiApiTest").secret();
        otto = users.createToken("otto", "OpenAiApiTest").secret();
        JsonPath run = ServingModel.train(gina);
        digest = run.getString("stages.find { it.stage == 'pretrain' }.outputs.model");
        corpus = run.getString("stages.find { it.stage == 'data' }.outputs.corpus");
        runId = run.getString("id");
    }

    static RequestSpecification as(String token) {
        return given().header("Authorization", "Bearer " + token);
    }

    private static Response post(String token, String path, String body) {
        return as(token).contentType("application/json").body(body).post(path);
    }

    /** A 400 (or other) problem+json naming {@code field}. */
    private static void refused(int status, String field, String path, String body) {
        post(gina, path, body).then().statusCode(status).contentType("application/problem+json")
                .body("errors.field", hasItem(field));
    }

    private static String completion(String extra) {
        return "{\"model\": \"" + digest + "\", \"prompt\": \"The network\"" + extra + "}";
    }

    private static String chat(String extra) {
        return "{\"model\": \"" + digest + "\", \"messages\": [{\"role\": \"user\", \"content\": \"What is a "
                + "network?\"}]" + extra + "}";
    }

    @Test
    void everyBadInputIsAProblemNamingItsField() {
        String c = "/v1/completions";
        String ch = "/v1/chat/completions";
        given().contentType("application/json").body(completion("")).post(c).then().statusCode(401);
        post(gina, c, "not json").then().statusCode(400).contentType("application/problem+json");
        refused(400, "model", c, "{\"prompt\": \"hi\"}");
        refused(400, "model", c, "{\"model\": \"../../etc\", \"prompt\": \"hi\"}");
        refused(404, "model", c, "{\"model\": \"" + "0".repeat(64) + "\", \"prompt\": \"hi\"}");
        refused(404, "model", c, "{\"model\": \"run-that-is-not\", \"prompt\": \"hi\"}");
        refused(400, "model", c, "{\"model\": \"" + corpus + "\", \"prompt\": \"hi\"}");
        // Another team's model and run are not found, so their ids do not leak.
        post(otto, c, completion("")).then().statusCode(404).body("errors.field", hasItem("model"));
        post(otto, c, completion("").replace(digest, runId)).then().statusCode(404);
        refused(400, "frequency_penalty", c, completion(", \"frequency_penalty\": 0.5"));
        refused(400, "prompt", c, "{\"model\": \"" + digest + "\", \"prompt\": [\"a\", \"b\"]}");
        refused(400, "temperature", c, completion(", \"temperature\": NaN"));
        refused(400, "temperature", c, completion(", \"temperature\": Infinity"));
        refused(400, "temperature", c, completion(", \"temperature\": 2.5"));
        refused(400, "temperature", c, completion(", \"temperature\": \"hot\""));
        refused(400, "top_p", c, completion(", \"top_p\": 0"));
        refused(400, "top_p", c, completion(", \"top_p\": -Infinity"));
        refused(400, "seed", c, completion(", \"seed\": 1.5"));
        refused(400, "max_tokens", c, completion(", \"max_tokens\": 0"));
        refused(400, "stop", c, completion(", \"stop\": [\"a\", \"b\", \"c\", \"d\", \"e\"]"));
        refused(400, "stop", c, completion(", \"stop\": \"\""));
        refused(400, "n", c, completion(", \"n\": 2"));
        refused(400, "stream", c, completion(", \"stream\": \"yes\""));
        refused(400, "messages", ch, "{\"model\": \"" + digest + "\", \"messages\": []}");
        refused(400, "messages[0].role", ch, chat("").replace("\"user\"", "\"tool\""));
        // A chat field is no field of a completion.
        refused(400, "messages", c, "{\"model\": \"" + digest + "\", \"prompt\": \"hi\", \"messages\": []}");
        // What only the model knows, checked by the worker: its context of 32 tokens.
        refused(400, "prompt", c, "{\"model\": \"" + digest + "\", \"prompt\": \"" + "The network ".repeat(40) + "\"}");
        refused(400, "messages", ch, chat("").replace("What is a network?", "What is a network? ".repeat(30)));
        refused(400, "max_tokens", c, completion(", \"max_tokens\": " + CONTEXT));
        refused(400, "max_tokens", c, completion(", \"max_tokens\": " + (CONTEXT - 2)));
    }

    @Test
    void theStreamCarriesTheTextOfTheWholeAnswerAndEndsWithDone() throws Exception {
        for (String path : List.of("/v1/completions", "/v1/chat/completions")) {
            boolean isChat = path.contains("chat");
            String body = isChat ? chat(", \"max_tokens\": 12") : completion(", \"max_tokens\": 12");
            JsonPath whole = post(gina, path, body).then().statusCode(200).extract().jsonPath();
            String text = isChat ? whole.getString("choices[0].message.content") : whole.getString("choices[0].text");
            assertEquals(isChat ? "chat.completion" : "text_completion", whole.getString("object"));
            assertTrue(List.of("stop", "length").contains(whole.getString("choices[0].finish_reason")));
            int completionTokens = whole.getInt("usage.completion_tokens");
            assertTrue(completionTokens >= 1 && completionTokens <= 12, whole.prettify());
            assertEquals(whole.getInt("usage.prompt_tokens") + completionTokens, whole.getInt("usage.total_tokens"));

            List<JsonNode> events = stream(gina, path, body.substring(0, body.length() - 1)
                    + ", \"stream\": true, \"stream_options\": {\"include_usage\": true}}");
            StringBuilder streamed = new StringBuilder();
            for (JsonNode event : events.subList(0, events.size() - 1)) {
                JsonNode choice = event.path("choices").path(0);
                streamed.append(isChat ? choice.path("delta").path("content").asText("") : choice.path("text").asText(""));
            }
            assertEquals(text, streamed.toString(), "greedy: the stream says what the whole answer says");
            assertEquals("[DONE]", events.get(events.size() - 1).asText());
            assertEquals(completionTokens, events.get(events.size() - 2).path("usage").path("completion_tokens").asInt());
        }
        // A run id names its final model: the same greedy text.
        String byDigest = post(gina, "/v1/completions", completion(", \"max_tokens\": 8")).then().statusCode(200)
                .extract().path("choices[0].text");
        post(gina, "/v1/completions", completion(", \"max_tokens\": 8").replace(digest, runId)).then().statusCode(200)
                .body("choices[0].text", equalTo(byDigest)).body("model", equalTo(runId));
        as(gina).get("/v1/models").then().statusCode(200).body("object", equalTo("list"))
                .body("data.id", hasItem(digest)).body("data.find { it.id == '" + digest + "' }.run", equalTo(runId));
        as(otto).get("/v1/models").then().statusCode(200).body("data.id", not(hasItem(digest)));
    }

    @Test
    void aWorkerThatDiesMidStreamEndsTheStreamWithAnErrorEvent() throws Exception {
        for (boolean silent : List.of(false, true)) {
            try (ServerSocket fake = new ServerSocket(0)) {
                String identity = "fake-worker-" + FAKE_WORKERS.incrementAndGet();
                Thread answering = new Thread(() -> answerThenFail(fake, silent));
                answering.setDaemon(true);
                answering.start();
                WorkerRegistry registry = new WorkerRegistry(ledger.jdbc());
                registry.report(identity, "localhost", List.of("cpu"), 1, Instant.now());
                registry.reportServing(identity, "http://127.0.0.1:" + fake.getLocalPort(), "fake-token",
                        List.of(digest));
                // Seen after the real worker's next report too, so that the console asks it first.
                seen(identity, "+ interval '1 minute'");
                try {
                    long started = System.nanoTime();
                    List<JsonNode> events = stream(gina, "/v1/completions", completion(", \"stream\": true"));
                    double seconds = (System.nanoTime() - started) / 1e9;
                    assertEquals("partial", events.get(0).path("choices").path(0).path("text").asText(), events.toString());
                    JsonNode last = events.get(events.size() - 1);
                    assertTrue(last.has("error"), events.toString());
                    assertEquals(silent ? 504 : 502, last.path("error").path("code").asInt(), last.toString());
                    assertFalse(events.stream().anyMatch(e -> e.asText().equals("[DONE]")));
                    assertTrue(seconds < (silent ? 40 : 10), "ended after " + seconds + " s");
                } finally {
                    seen(identity, "- interval '1 hour'");   // out of the console's choice
                }
            }
        }
    }

    /**
     * Answers one request as a worker would start to (headers, one chunk of text), then closes the connection
     * without ending the chunked body, as a killed process does, or ({@code silent}) sends nothing more.
     */
    private static void answerThenFail(ServerSocket fake, boolean silent) {
        try (Socket socket = fake.accept()) {
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                // the request's headers; its body is left unread
            }
            OutputStream out = socket.getOutputStream();
            String chunk = "{\"text\":\"partial\"}\n";
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            if (silent) {
                Thread.sleep(60_000);
            }
        } catch (Exception e) {
            // the test ends the wait by closing the socket
        }
    }

    /**
     * The official openai client (PyPI, pinned in {@code src/test/python/openai-requirements.txt}, installed by the
     * HF export check's {@code hf-venv.sh}) calls {@code /v1/chat/completions} whole and streaming, and
     * {@code /v1/completions}, with the run id as the model, and gets the greedy text that {@code lmforge model
     * generate} prints for that run; refusals reach it as its own exceptions. Prints the generation rate through
     * the API against {@code model generate}'s (same model, TensorFlow on all cores in both; the API's includes HTTP,
     * the console and a fresh connection per call).
     */
    @Test
    void theOfficialOpenAiClientGetsTheGreedyTextOfModelGenerate() throws Exception {
        Path python = PinnedPython.resolve("LMFORGE_OPENAI_PYTHON", "LMFORGE_OPENAI_CHECKS",
                Path.of("../activities/src/test/python/hf-venv.sh"), "src/test/python/openai-requirements.txt",
                "openai");
        Path dir = Files.createTempDirectory(Path.of("target"), "openai-");
        int maxTokens = 16;   // the longest question is 14 tokens of the context of 32
        ObjectNode cases = JSON.createObjectNode().put("model", runId).put("tooLong", "The network ".repeat(40));
        ArrayNode chatCases = cases.putArray("chat");
        List<JsonNode> offline = new ArrayList<>();
        for (String question : List.of("What is a network?", "Name a colour.")) {
            chatCases.addObject().put("maxTokens", maxTokens).putArray("messages").addObject().put("role", "user")
                    .put("content", question);
            offline.add(generate(dir, "--prompt", question, "--chat", "--max-tokens", String.valueOf(maxTokens)));
        }
        cases.putArray("completions").addObject().put("prompt", "The network").put("maxTokens", maxTokens);
        JsonNode offlineCompletion = generate(dir, "--prompt", "The network", "--max-tokens", String.valueOf(maxTokens));
        Path casesFile = dir.resolve("cases.json");
        Path reportFile = dir.resolve("report.json");
        JSON.writeValue(casesFile.toFile(), cases);
        Process check = new ProcessBuilder(python.toString(), "src/test/python/check_openai_client.py",
                base.toString(), gina, casesFile.toString(), reportFile.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("check.log").toFile()).start();
        assertTrue(check.waitFor(5, TimeUnit.MINUTES), "check_openai_client.py did not finish in 5 minutes");
        assertEquals(0, check.exitValue(), () -> PinnedPython.tail(dir.resolve("check.log")));
        JsonNode report = JSON.readTree(reportFile.toFile());
        System.out.println("openai client check: " + JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report));

        double apiTokens = 0;
        double apiSeconds = 0;
        double offlineTokens = 0;
        double offlineSeconds = 0;
        for (int i = 0; i < offline.size(); i++) {
            JsonNode answer = report.path("chat").path(i);
            String expected = offline.get(i).path("text").asText();
            assertEquals(expected, answer.path("text").asText(), answer.toString());
            assertEquals(expected, answer.path("streamed").asText(), answer.toString());
            assertEquals("assistant", answer.path("role").asText());
            assertTrue(answer.path("streamedChunks").asInt() > 1, "streamed in pieces: " + answer);
            int tokens = offline.get(i).path("ids").size();
            assertEquals(tokens, answer.path("usage").path("completion_tokens").asInt(), answer.toString());
            assertEquals(answer.path("usage"), answer.path("streamedUsage"));
            assertEquals(tokens == maxTokens ? "length" : "stop", answer.path("finishReason").asText());
            apiTokens += tokens;
            apiSeconds += answer.path("seconds").asDouble();
            offlineTokens += tokens;
            offlineSeconds += offline.get(i).path("seconds").asDouble();
        }
        JsonNode completion = report.path("completions").path(0);
        assertEquals(offlineCompletion.path("text").asText(), completion.path("text").asText());
        assertEquals(offlineCompletion.path("text").asText(), completion.path("streamed").asText());
        assertTrue(report.path("tooLong").path("refused").asBoolean(), report.toString());
        assertEquals(400, report.path("tooLong").path("status").asInt());
        assertEquals("prompt", report.path("tooLong").path("body").path("errors").path(0).path("field").asText(),
                report.toString());
        assertEquals(404, report.path("unknownModel").path("status").asInt(), report.toString());
        // Not a like-for-like rate: the worker's model is warm, while each model generate is a fresh process whose
        // one generation pays TensorFlow's first run.
        System.out.printf(Locale.ROOT, "generation: %.0f tokens/s through the API (openai client, whole answers, "
                + "request to reply), %.0f tokens/s in lmforge model generate (its decoding, a fresh process), %d "
                + "tokens%n", apiTokens / apiSeconds, offlineTokens / offlineSeconds, (int) apiTokens);
    }

    /** {@code lmforge model generate --model RUN_ID ... --json} in its own JVM, as a user runs it here. */
    private JsonNode generate(Path dir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                        .toString(), "-cp", System.getProperty("java.class.path"), "dev.lmforge.activities.cli.LmforgeCli",
                "model", "generate", "--model", runId, "--json"));
        command.addAll(List.of(args));
        Path log = dir.resolve("generate.log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(log.toFile());
        builder.environment().put("LMFORGE_URL", base.toString().replaceAll("/$", ""));
        builder.environment().put("LMFORGE_TOKEN", gina);
        Process generate = builder.start();
        String out = new String(generate.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(generate.waitFor(3, TimeUnit.MINUTES), "model generate did not finish in 3 minutes");
        assertEquals(0, generate.exitValue(), () -> PinnedPython.tail(log));
        return JSON.readTree(out);
    }

    /** Dates a fake worker's last report at now {@code shift} (an SQL interval expression). */
    private void seen(String identity, String shift) throws Exception {
        try (Connection c = ledger.jdbc().dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE workers SET last_seen = now() " + shift
                     + " WHERE identity = ?")) {
            ps.setString(1, identity);
            ps.executeUpdate();
        }
    }

    /** The server-sent events of a streamed answer: each data line, as JSON ([DONE] as a text node). */
    private List<JsonNode> stream(String token, String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base.toString().replaceAll("/$", "") + path))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(90)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<Stream<String>> response = HttpClient.newHttpClient().send(request,
                HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"),
                response.headers().map().toString());
        List<JsonNode> events = new ArrayList<>();
        response.body().forEach(line -> {
            if (line.startsWith("data: ")) {
                String data = line.substring(6);
                try {
                    events.add(data.equals("[DONE]") ? JSON.getNodeFactory().textNode(data) : JSON.readTree(data));
                } catch (Exception e) {
                    throw new AssertionError("not JSON: " + data, e);
                }
            }
        });
        return events;
    }
}
