package dev.lmforge.activities.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lmforge.activities.alignment.ChatTemplate;
import dev.lmforge.activities.cli.ModelZips;
import dev.lmforge.activities.model.GreedyDecoder;
import dev.lmforge.activities.model.ModelWithTokenizer;
import dev.lmforge.activities.model.StoredModel;
import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.tokenizer.BpeTrainer;
import dev.lmforge.services.RealStack;
import dev.lmforge.services.ledger.WorkerRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker's inference endpoint on the real stack (PostgreSQL and S3): models trained here, stored as artifacts,
 * loaded from the store by digest, and asked over HTTP. The streamed text is the text {@link GreedyDecoder} gives
 * (what {@code lmforge model generate} prints), stop sequences cut it as they cut the decoder's, prompts past the
 * context are refused naming the field, the cache keeps the most recently used model, and the worker's address
 * and token reach the ledger.
 */
class InferenceServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path dir;
    private static RealStack stack;
    private static Path zipA;
    private static String modelA;
    private static String modelB;
    private static final AtomicInteger LOADS = new AtomicInteger();
    private static InferenceServer server;

    @BeforeAll
    static void serve() throws Exception {
        stack = RealStack.start(dir.resolve("stack"));
        BpeTrainer trainer = new BpeTrainer(256 + BpeTrainer.DEFAULT_SPECIAL_TOKENS.size() + 40);
        trainer.addText("the cat sat on the mat. ".repeat(50));
        BpeTokenizer tokenizer = trainer.train();
        List<String> documents = List.of("the cat sat on the mat. ".repeat(40));
        Files.createDirectories(dir.resolve("a"));
        Files.createDirectories(dir.resolve("b"));
        zipA = ModelZips.trainAndStore(tokenizer, documents, dir.resolve("a"), 30);
        modelA = stack.artifacts().put(zipA).digest();
        modelB = stack.artifacts().put(ModelZips.trainAndStore(tokenizer, documents, dir.resolve("b"), 3)).digest();
        ServedModels models = new ServedModels(1, digest -> {
            LOADS.incrementAndGet();
            Path zip = Files.createTempFile(dir, "served", ".zip");
            stack.artifacts().download(digest, zip);
            return StoredModel.open(zip, 2);
        });
        server = InferenceServer.start("127.0.0.1", 0, 4, models);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    /** The answer: status, and the events (NDJSON) or the problem body. */
    private record Answer(int status, List<JsonNode> events, String body) {
        String text() {
            StringBuilder text = new StringBuilder();
            events.stream().filter(e -> e.has("text")).forEach(e -> text.append(e.get("text").asText()));
            return text.toString();
        }

        JsonNode last() {
            return events.get(events.size() - 1);
        }
    }

    private static Answer ask(ObjectNode request, String token) throws Exception {
        HttpRequest.Builder http = HttpRequest.newBuilder(URI.create(server.address() + "/generate"))
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(request)));
        if (token != null) {
            http.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> response = HTTP.send(http.build(), HttpResponse.BodyHandlers.ofString());
        List<JsonNode> events = new ArrayList<>();
        if (response.statusCode() == 200) {
            for (String line : response.body().split("\n")) {
                events.add(JSON.readTree(line));
            }
        }
        return new Answer(response.statusCode(), events, response.body());
    }

    private static ObjectNode completion(String model, String prompt, int maxTokens) {
        ObjectNode request = JSON.createObjectNode().put("model", model).put("prompt", prompt);
        request.put("maxTokens", maxTokens);
        return request;
    }

    private static GreedyDecoder.Generation offline(boolean chat, String prompt, int maxTokens, List<String> stops)
            throws Exception {
        try (StoredModel.Opened opened = StoredModel.open(zipA, 2)) {
            ModelWithTokenizer model = opened.model();
            int[] ids = chat ? new ChatTemplate(model.tokenizer()).prompt(prompt) : model.encodeDocument(prompt, false);
            return new GreedyDecoder(model).generate(ids, stops, maxTokens);
        }
    }

    @Test
    void streamsTheGreedyTextStopsWhereTheDecoderStopsAndRefusesWhatDoesNotFit() throws Exception {
        GreedyDecoder.Generation expected = offline(false, "the cat", 24, List.of());
        Answer greedy = ask(completion(modelA, "the cat", 24), server.token());
        assertEquals(200, greedy.status(), greedy.body());
        assertEquals(expected.text(), greedy.text());
        assertTrue(greedy.events().size() > 2, "the text comes in pieces: " + greedy.events());
        assertEquals(expected.tokens().length, greedy.last().path("completionTokens").asInt());
        assertEquals(expected.stoppedBy() == GreedyDecoder.StopReason.MAX_NEW_TOKENS ? "length" : "stop",
                greedy.last().path("finishReason").asText());
        assertTrue(greedy.last().path("promptTokens").asInt() >= 2, greedy.last().toString());

        // A stop sequence from the middle of the greedy text: the text ends before it, as the decoder's does.
        String stop = expected.text().substring(expected.text().length() / 2, expected.text().length() / 2 + 3);
        ObjectNode stopped = completion(modelA, "the cat", 24);
        stopped.putArray("stop").add(stop);
        Answer cut = ask(stopped, server.token());
        assertEquals(offline(false, "the cat", 24, List.of(stop)).text(), cut.text());
        assertTrue(!cut.text().contains(stop), cut.text());
        assertEquals("stop", cut.last().path("finishReason").asText());

        ObjectNode chat = JSON.createObjectNode().put("model", modelA).put("maxTokens", 16);
        chat.putArray("messages").addObject().put("role", "user").put("content", "the mat");
        assertEquals(offline(true, "the mat", 16, List.of()).text(), ask(chat, server.token()).text());

        Answer tooLong = ask(completion(modelA, "the cat ".repeat(400), 8), server.token());
        assertEquals(400, tooLong.status());
        assertEquals("prompt", JSON.readTree(tooLong.body()).path("errors").path(0).path("field").asText(), tooLong.body());
        Answer pastContext = ask(completion(modelA, "the cat", 1000), server.token());
        assertEquals(400, pastContext.status());
        assertTrue(pastContext.body().contains("\"max_tokens\""), pastContext.body());
        ObjectNode hot = completion(modelA, "the cat", 4).put("temperature", Double.NaN);
        assertEquals(400, ask(hot, server.token()).status());
    }

    @Test
    void refusesRequestsWithoutTheWorkersToken() throws Exception {
        assertEquals(401, ask(completion(modelA, "the cat", 4), null).status());
        assertEquals(401, ask(completion(modelA, "the cat", 4), "0".repeat(64)).status());
    }

    @Test
    void keepsTheMostRecentlyUsedModelAndReportsItWithItsAddress() throws Exception {
        assertEquals(200, ask(completion(modelA, "the", 2), server.token()).status());
        int loads = LOADS.get();
        assertEquals(200, ask(completion(modelA, "the", 2), server.token()).status());
        assertEquals(loads, LOADS.get(), "a loaded model is used again");
        assertEquals(200, ask(completion(modelB, "the", 2), server.token()).status());
        assertEquals(List.of(modelB), server.loadedModels(), "one model at most: the older is closed");
        assertEquals(200, ask(completion(modelA, "the", 2), server.token()).status());
        assertEquals(loads + 2, LOADS.get());

        WorkerRegistry registry = new WorkerRegistry(stack.ledger().jdbc());
        registry.report("serving-test", "localhost", List.of("cpu"), 2, Instant.now());
        registry.reportServing("serving-test", server.address(), server.token(), server.loadedModels());
        List<WorkerRegistry.ServingWorker> serving = registry.servingWithin(Duration.ofSeconds(30), modelA);
        assertEquals(1, serving.size());
        assertEquals(server.address(), serving.get(0).address());
        assertEquals(List.of(modelA), serving.get(0).loadedModels());
    }
}
