package dev.lmforge.activities.worker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.lmforge.activities.alignment.ChatMessage;
import dev.lmforge.activities.alignment.ChatRole;
import dev.lmforge.activities.alignment.ChatTemplate;
import dev.lmforge.activities.model.GreedyDecoder;
import dev.lmforge.activities.model.ModelWithTokenizer;
import dev.lmforge.activities.model.TokenSampler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A compute worker's inference endpoint: {@code POST /generate} continues a prompt (or answers a conversation in
 * the chat template SFT trained on) with a model artifact, streaming the text as it is written. The console is
 * its only caller: it checks the caller's token and team, picks a worker and relays the answer in OpenAI's shapes
 * (Temporal carries lifecycles, whose steps last minutes; a token stream needs a connection of its own).
 *
 * <p>The request is JSON: {@code model} (a digest), {@code prompt} (text) or {@code messages} (each {@code role}
 * and {@code content}), {@code maxTokens} (null: as many as the context holds), {@code temperature} (0: greedy),
 * {@code topP}, {@code seed} and {@code stop} (strings). What only the model can check (the prompt's length in
 * tokens against its context) is refused with a 400 problem naming the field as OpenAI's API calls it
 * ({@code prompt}, {@code messages}, {@code max_tokens}). Otherwise the answer is 200 and newline-delimited
 * JSON, flushed per line: {@code {"text": DELTA}} as the text grows, then {@code {"done": true, "finishReason":
 * "stop"|"length", "promptTokens": N, "completionTokens": N, "seconds": S}}, or {@code {"error": MESSAGE}} if it
 * fails after the first line. A delta never holds the start of a stop sequence that might still complete, nor
 * half a character.
 *
 * <p>Every request needs {@code Authorization: Bearer TOKEN} with the token this server drew at its start and
 * the worker reports to the ledger beside its address: the console reads it there, anyone else is refused.
 */
public final class InferenceServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(InferenceServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The most bytes of one request: the console caps prompts well below. */
    static final int MAX_REQUEST_BYTES = 4 << 20;
    /** The most stop sequences, as OpenAI's API. */
    static final int MAX_STOPS = 4;

    private final HttpServer server;
    private final ExecutorService threads;
    private final ServedModels models;
    private final String token;

    private InferenceServer(HttpServer server, ExecutorService threads, ServedModels models, String token) {
        this.server = server;
        this.threads = threads;
        this.models = models;
        this.token = token;
    }

    /**
     * Serves {@code models} on {@code host}:{@code port} (0: a free port), answering up to {@code concurrency}
     * requests at once.
     */
    public static InferenceServer start(String host, int port, int concurrency, ServedModels models) throws IOException {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 64);
        AtomicInteger count = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(concurrency, r -> {
            Thread t = new Thread(r, "lmforge-inference-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(threads);
        InferenceServer inference = new InferenceServer(server, threads, models, HexFormat.of().formatHex(secret));
        server.createContext("/generate", inference::handle);
        server.start();
        return inference;
    }

    /** Where the server answers: {@code http://host:port}. */
    public String address() {
        InetSocketAddress bound = server.getAddress();
        String host = bound.getAddress().getHostAddress();
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + bound.getPort();
    }

    /** The bearer token every request must carry. */
    public String token() {
        return token;
    }

    /** The digests of the models loaded now, most recently used first. */
    List<String> loadedModels() {
        return models.loaded();
    }

    /** A request refused before anything was streamed. */
    private static final class Refusal extends RuntimeException {
        final int status;
        final String field;

        Refusal(int status, String field, String message) {
            super(field == null ? message : field + ": " + message);
            this.status = status;
            this.field = field;
        }
    }

    /** A request as the console forwards it, checked. */
    private record Request(String model, String prompt, List<ChatMessage> messages, Integer maxTokens,
                           double temperature, double topP, long seed, List<String> stops) {
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            try {
                if (!exchange.getRequestMethod().equals("POST")) {
                    throw new Refusal(405, null, "only POST");
                }
                if (!authorized(exchange.getRequestHeaders().getFirst("Authorization"))) {
                    throw new Refusal(401, null, "Authorization: the worker's serving token is missing or wrong");
                }
                Request request = parse(readBody(exchange.getRequestBody()));
                models.with(request.model(), model -> {
                    generate(model, request, exchange);
                    return null;
                });
            } catch (Refusal e) {
                problem(exchange, e.status, e.field, e.getMessage());
            } catch (IOException | RuntimeException e) {
                if (exchange.getResponseCode() < 0) {
                    LOG.warn("inference request failed: {}", e.toString());
                    problem(exchange, 500, null, "the worker failed: " + e.getMessage());
                } else {
                    LOG.info("inference stream ended early: {}", e.toString());
                }
            }
        }
    }

    private boolean authorized(String header) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8),
                header.substring(7).strip().getBytes(StandardCharsets.UTF_8));
    }

    private static JsonNode readBody(InputStream in) throws IOException {
        byte[] body = in.readNBytes(MAX_REQUEST_BYTES + 1);
        if (body.length > MAX_REQUEST_BYTES) {
            throw new Refusal(413, null, "the request is larger than " + MAX_REQUEST_BYTES + " bytes");
        }
        try {
            JsonNode node = JSON.readTree(body);
            if (node == null || !node.isObject()) {
                throw new Refusal(400, null, "the body must be a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw new Refusal(400, null, "the body is not JSON");
        }
    }

    private static Request parse(JsonNode body) {
        String model = body.path("model").asText("");
        if (!model.matches("[0-9a-f]{64}")) {
            throw new Refusal(400, "model", "a model artifact's digest (64 lower-case hex characters)");
        }
        String prompt = body.hasNonNull("prompt") ? text(body.get("prompt"), "prompt") : null;
        List<ChatMessage> messages = null;
        if (body.hasNonNull("messages")) {
            messages = new ArrayList<>();
            for (JsonNode m : body.get("messages")) {
                ChatRole role = ChatRole.named(m.path("role").asText(""));
                if (role == null) {
                    throw new Refusal(400, "messages", "role must be system, user or assistant");
                }
                messages.add(new ChatMessage(role, text(m.path("content"), "messages")));
            }
        }
        if ((prompt == null) == (messages == null || messages.isEmpty())) {
            throw new Refusal(400, prompt == null ? "messages" : "prompt", "give either a prompt or messages");
        }
        Integer maxTokens = body.hasNonNull("maxTokens") ? body.get("maxTokens").asInt() : null;
        double temperature = body.path("temperature").asDouble(0);
        double topP = body.path("topP").asDouble(1);
        if (!Double.isFinite(temperature) || temperature < 0 || temperature > 2) {
            throw new Refusal(400, "temperature", "must be finite, 0 to 2");
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new Refusal(400, "top_p", "must lie in (0, 1]");
        }
        List<String> stops = new ArrayList<>();
        for (JsonNode stop : body.path("stop")) {
            String s = text(stop, "stop");
            if (s.isEmpty()) {
                throw new Refusal(400, "stop", "a stop sequence must not be empty");
            }
            stops.add(s);
        }
        if (stops.size() > MAX_STOPS) {
            throw new Refusal(400, "stop", "at most " + MAX_STOPS + " stop sequences");
        }
        return new Request(model, prompt, messages, maxTokens, temperature, topP, body.path("seed").asLong(0), stops);
    }

    private static String text(JsonNode node, String field) {
        if (!node.isTextual()) {
            throw new Refusal(400, field, "must be a string");
        }
        return node.asText();
    }

    /** Checks the prompt against the model's context, then streams the generation. */
    private static void generate(ModelWithTokenizer model, Request request, HttpExchange exchange) throws IOException {
        String promptField = request.prompt() != null ? "prompt" : "messages";
        int[] ids;
        try {
            ids = request.prompt() != null ? model.encodeDocument(request.prompt(), false)
                    : new ChatTemplate(model.tokenizer()).prompt(request.messages());
        } catch (IllegalArgumentException e) {
            throw new Refusal(400, promptField, e.getMessage());
        }
        int context = model.model().contextLength();
        if (ids.length > context) {
            throw new Refusal(400, promptField, "encodes to " + ids.length + " tokens; the model's context holds "
                    + context);
        }
        int maxTokens = request.maxTokens() != null ? request.maxTokens() : Math.min(context - 1, context - ids.length + 1);
        if (maxTokens < 1 || maxTokens >= context) {
            throw new Refusal(400, "max_tokens", "must be 1 to " + (context - 1) + " for a context of " + context
                    + ", not " + maxTokens);
        }
        if (ids.length + maxTokens - 1 > context) {
            throw new Refusal(400, "max_tokens", ids.length + " prompt tokens plus max_tokens " + maxTokens
                    + " do not fit the model's context of " + context);
        }
        TokenSampler sampler = request.temperature() == 0 ? null
                : new TokenSampler(request.temperature(), request.topP(), request.seed());
        exchange.getResponseHeaders().set("Content-Type", "application/x-ndjson");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        StreamedText streamed = new StreamedText(request.stops());
        long started = System.nanoTime();
        try {
            GreedyDecoder.Generation generation = new GreedyDecoder(model, sampler).generate(ids, request.stops(),
                    maxTokens, (tokens, text) -> line(out, JSON.createObjectNode().put("text", streamed.delta(text))));
            String rest = streamed.rest(generation.text());
            if (!rest.isEmpty()) {
                line(out, JSON.createObjectNode().put("text", rest));
            }
            line(out, JSON.createObjectNode().put("done", true)
                    .put("finishReason", generation.stoppedBy() == GreedyDecoder.StopReason.MAX_NEW_TOKENS
                            ? "length" : "stop")
                    .put("promptTokens", ids.length).put("completionTokens", generation.tokens().length)
                    .put("seconds", (System.nanoTime() - started) / 1e9));
        } catch (RuntimeException e) {
            line(out, JSON.createObjectNode().put("error", "generation failed: " + e.getMessage()));
            throw e;
        }
    }

    /** Writes one event; an empty delta is skipped. */
    private static void line(OutputStream out, ObjectNode event) throws IOException {
        if (event.has("text") && event.get("text").asText().isEmpty()) {
            return;
        }
        out.write(JSON.writeValueAsBytes(event));
        out.write('\n');
        out.flush();
    }

    /**
     * What of a growing text may be sent yet: not a trailing U+FFFD (half a character whose next bytes are still
     * to come) and not a suffix that begins a stop sequence (the generation would cut it off).
     */
    static final class StreamedText {
        private final List<String> stops;
        private int sent;

        StreamedText(List<String> stops) {
            this.stops = stops;
        }

        /** The new text that may be sent, given the whole text so far. */
        String delta(String text) {
            int safe = text.length();
            while (safe > sent && text.charAt(safe - 1) == '\uFFFD') {
                safe--;
            }
            int hold = 0;
            for (String stop : stops) {
                for (int k = Math.min(stop.length() - 1, safe); k > hold; k--) {
                    if (text.startsWith(stop.substring(0, k), safe - k)) {
                        hold = k;
                        break;
                    }
                }
            }
            safe -= hold;
            if (safe <= sent) {
                return "";
            }
            String delta = text.substring(sent, safe);
            sent = safe;
            return delta;
        }

        /** What remains to send of the final text. */
        String rest(String finalText) {
            return finalText.length() > sent ? finalText.substring(sent) : "";
        }
    }

    private static void problem(HttpExchange exchange, int status, String field, String detail) throws IOException {
        ObjectNode body = JSON.createObjectNode().put("type", "about:blank").put("status", status)
                .put("title", status == 400 ? "Bad Request" : status == 401 ? "Unauthorized" : "Error")
                .put("detail", detail);
        if (field != null) {
            body.putArray("errors").addObject().put("field", field)
                    .put("message", detail.substring(field.length() + 2));
        }
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/problem+json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
        try {
            threads.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        models.close();
    }
}
