package dev.lmforge.web.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lmforge.services.ledger.ArtifactLedger.ProducedModel;
import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.Records.ArtifactRecord;
import dev.lmforge.services.ledger.Records.StageRecord;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.services.ledger.UserStore.Role;
import dev.lmforge.services.ledger.UserStore.User;
import dev.lmforge.web.auth.Caller;
import dev.lmforge.web.auth.Permissions;
import dev.lmforge.web.problem.ProblemException;
import dev.lmforge.web.serving.WorkerInference;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * An OpenAI-compatible API over the models that runs produced: {@code POST /v1/completions},
 * {@code POST /v1/chat/completions} (each streaming with server-sent events on {@code stream: true}) and
 * {@code GET /v1/models}, for OpenAI's clients with the lmforge API token as their API key. {@code model} is a
 * model artifact's digest or a run id (its final model: the one its last stage to produce one made), seen as
 * every artifact is: only by the caller's teams (404 otherwise, so that digests do not leak). The console checks
 * every field and the caller's scope, then hands the generation to a compute worker ({@link WorkerInference}),
 * which checks what needs the model (the prompt against its context), and relays the worker's text in OpenAI's
 * shapes. Greedy unless {@code temperature} is above 0; {@code seed} makes sampling repeatable.
 */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "inference", description = "OpenAI-compatible completions over the models runs produced")
public class OpenAiResource {

    /** Text OpenAI's clients accept in a request body; NaN and Infinity parse, so they are refused by field. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
    private static final Pattern DIGEST = Pattern.compile("(sha256:)?[0-9a-f]{64}");
    private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    /** The most characters of a prompt, or of all messages together: far past any context lmforge trains. */
    static final int MAX_PROMPT_CHARS = 256 * 1024;
    static final int MAX_MESSAGES = 256;
    static final int MAX_STOPS = 4;
    static final int MAX_STOP_CHARS = 256;
    /** The most tokens one request may ask for; the model's context is checked by the worker. */
    static final int MAX_TOKENS = 1 << 16;
    /** The most models {@code GET /v1/models} lists. */
    static final int MAX_MODELS = 500;
    private static final Set<String> COMMON = Set.of("model", "max_tokens", "temperature", "top_p", "seed", "stream",
            "stream_options", "stop", "n", "user");
    private static final Set<String> ROLES = Set.of("system", "user", "assistant");
    private static final SecureRandom IDS = new SecureRandom();

    @Inject
    Ledger ledger;
    @Inject
    UserStore users;
    @Inject
    Caller caller;
    @Inject
    WorkerInference inference;

    /** One model as {@code GET /v1/models} lists it: OpenAI's fields, and the run and stage that made it. */
    public record ModelEntry(String id, String object, long created, String owned_by, String run, String stage) {
    }

    /** OpenAI's list of models. */
    public record ModelList(String object, List<ModelEntry> data) {
    }

    @GET
    @Path("models")
    @Operation(summary = "List the models", description = "The model artifacts that runs of the caller's teams "
            + "produced (every team's for an admin), newest first, at most 500, in OpenAI's shape: id (the digest, "
            + "for the model field), created, owned_by (the team), and the run and stage that made it.")
    @APIResponse(responseCode = "200", description = "The models the caller may use.")
    public ModelList models() {
        User user = caller.user();
        List<ProducedModel> models = ledger.artifacts().models(user.role() == Role.ADMIN ? null : user.teams(),
                MAX_MODELS);
        return new ModelList("list", models.stream().map(m -> new ModelEntry(m.digest(), "model",
                m.createdAt().getEpochSecond(), m.team(), m.runId(), m.stage())).toList());
    }

    @POST
    @Path("completions")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces({MediaType.APPLICATION_JSON, MediaType.SERVER_SENT_EVENTS})
    @Operation(summary = "Continue a prompt", description = "OpenAI's completions: the model continues the prompt "
            + "(after its document start token). With stream: true the answer is server-sent events, one "
            + "text_completion chunk per piece of text, then data: [DONE]; a worker that fails mid-stream ends it with "
            + "an event whose data holds error. Each bad field is a 400 naming it.")
    @RequestBody(description = "A JSON object: model, prompt (a string), and the optional fields: max_tokens "
            + "(default: what the context leaves), temperature (0 to 2, default 0: greedy), top_p (in (0, 1]), seed, stop "
            + "(a string or up to 4), stream, stream_options.include_usage, n (1 only) and user (ignored).",
            required = true, content = @Content(schema = @Schema(implementation = String.class)))
    @APIResponse(responseCode = "200", description = "The completion (text_completion: choices[0].text, "
            + "finish_reason stop or length, usage), or its server-sent events.",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = String.class)))
    @APIResponse(responseCode = "400", description = "A field is missing, unknown, of the wrong type or out of range "
            + "(non-finite sampling settings included), or the prompt with max_tokens does not fit the model's "
            + "context; errors names the field.")
    @APIResponse(responseCode = "404", description = "model names no model artifact or run of the caller's teams.")
    @APIResponse(responseCode = "502", description = "The compute worker failed.")
    @APIResponse(responseCode = "503", description = "No compute worker serves models now.")
    @APIResponse(responseCode = "504", description = "The compute worker did not answer in time.")
    public Response completions(String body) {
        return generate(body, false);
    }

    @POST
    @Path("chat/completions")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces({MediaType.APPLICATION_JSON, MediaType.SERVER_SENT_EVENTS})
    @Operation(summary = "Answer a conversation", description = "OpenAI's chat completions: the messages in the chat "
            + "template SFT trained on, and the model's next assistant turn. With stream: true the answer is "
            + "server-sent events, chat.completion.chunk deltas, then data: [DONE]; a worker that fails mid-stream "
            + "ends it with an event whose data holds error. Each bad field is a 400 naming it.")
    @RequestBody(description = "A JSON object: model, messages (each role system, user or assistant, and content, a "
            + "string), and the optional fields as for /v1/completions.", required = true,
            content = @Content(schema = @Schema(implementation = String.class)))
    @APIResponse(responseCode = "200", description = "The reply (chat.completion: choices[0].message, finish_reason "
            + "stop or length, usage), or its server-sent events.",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = String.class)))
    @APIResponse(responseCode = "400", description = "A field is missing, unknown, of the wrong type or out of range "
            + "(non-finite sampling settings included), or the conversation with max_tokens does not fit the model's "
            + "context; errors names the field.")
    @APIResponse(responseCode = "404", description = "model names no model artifact or run of the caller's teams.")
    @APIResponse(responseCode = "502", description = "The compute worker failed.")
    @APIResponse(responseCode = "503", description = "No compute worker serves models now.")
    @APIResponse(responseCode = "504", description = "The compute worker did not answer in time.")
    public Response chatCompletions(String body) {
        return generate(body, true);
    }

    /** A request checked, in the worker's terms, with what the answer needs. */
    private record Checked(String model, String digest, ObjectNode forWorker, boolean stream, boolean includeUsage) {
    }

    private Response generate(String body, boolean chat) {
        Checked request = check(parse(body), chat);
        WorkerInference.Generation generation = inference.start(request.digest(), request.forWorker());
        String id = (chat ? "chatcmpl-" : "cmpl-") + HexFormat.of().formatHex(randomBytes());
        long created = Instant.now().getEpochSecond();
        if (request.stream()) {
            StreamingOutput events = out -> relay(generation, out, chat, id, created, request);
            return Response.ok(events, MediaType.SERVER_SENT_EVENTS).header("Cache-Control", "no-cache")
                    .header("X-Accel-Buffering", "no").build();
        }
        try (generation) {
            StringBuilder text = new StringBuilder();
            JsonNode done = collect(generation, text);
            ObjectNode answer = envelope(id, chat ? "chat.completion" : "text_completion", created, request.model());
            ObjectNode choice = answer.putArray("choices").addObject().put("index", 0);
            if (chat) {
                choice.putObject("message").put("role", "assistant").put("content", text.toString());
            } else {
                choice.put("text", text.toString()).putNull("logprobs");
            }
            choice.put("finish_reason", done.path("finishReason").asText());
            usage(answer, done);
            return Response.ok(answer.toString(), MediaType.APPLICATION_JSON).build();
        }
    }

    /** The worker's events to their end, the text appended to {@code text}; the last event, or a 502/504. */
    private static JsonNode collect(WorkerInference.Generation generation, StringBuilder text) {
        while (true) {
            JsonNode event;
            try {
                event = generation.next();
            } catch (IOException e) {
                throw streamBroke(generation, e);
            }
            if (event == null || event.has("error")) {
                throw new ProblemException(502, "Bad Gateway", "compute worker " + generation.worker()
                        + (event == null ? " ended the stream before the generation ended" : ": "
                        + event.path("error").asText()));
            }
            text.append(event.path("text").asText(""));
            if (event.path("done").asBoolean()) {
                return event;
            }
        }
    }

    private static ProblemException streamBroke(WorkerInference.Generation generation, IOException e) {
        return e instanceof SocketTimeoutException
                ? new ProblemException(504, "Gateway Timeout", "compute worker " + generation.worker()
                + " went silent mid-generation")
                : new ProblemException(502, "Bad Gateway", "compute worker " + generation.worker()
                + " broke the connection: " + e.getMessage());
    }

    /** Relays the worker's events as OpenAI's server-sent events; a failure becomes an error event, then the end. */
    private static void relay(WorkerInference.Generation generation, OutputStream out, boolean chat, String id,
                              long created, Checked request) throws IOException {
        try (generation) {
            String object = chat ? "chat.completion.chunk" : "text_completion";
            if (chat) {
                ObjectNode first = envelope(id, object, created, request.model());
                first.withArray("choices").addObject().put("index", 0).putNull("finish_reason")
                        .putObject("delta").put("role", "assistant").put("content", "");
                send(out, first.toString());
            }
            while (true) {
                JsonNode event;
                try {
                    event = generation.next();
                } catch (IOException e) {
                    sendError(out, streamBroke(generation, e));
                    return;
                }
                if (event == null || event.has("error")) {
                    sendError(out, new ProblemException(502, "Bad Gateway", "compute worker " + generation.worker()
                            + (event == null ? " ended the stream before the generation ended" : ": "
                            + event.path("error").asText())));
                    return;
                }
                if (event.has("text")) {
                    send(out, piece(id, object, created, request.model(), chat, event.get("text").asText(), null)
                            .toString());
                }
                if (event.path("done").asBoolean()) {
                    send(out, piece(id, object, created, request.model(), chat, "",
                            event.path("finishReason").asText()).toString());
                    if (request.includeUsage()) {
                        ObjectNode usage = envelope(id, object, created, request.model());
                        usage.putArray("choices");
                        usage(usage, event);
                        send(out, usage.toString());
                    }
                    send(out, "[DONE]");
                    return;
                }
            }
        }
    }

    private static ObjectNode piece(String id, String object, long created, String model, boolean chat, String text,
                                    String finishReason) {
        ObjectNode chunk = envelope(id, object, created, model);
        ObjectNode choice = chunk.withArray("choices").addObject().put("index", 0);
        if (chat) {
            ObjectNode delta = choice.putObject("delta");
            if (!text.isEmpty()) {
                delta.put("content", text);
            }
        } else {
            choice.put("text", text).putNull("logprobs");
        }
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        return chunk;
    }

    private static ObjectNode envelope(String id, String object, long created, String model) {
        return JSON.createObjectNode().put("id", id).put("object", object).put("created", created).put("model", model);
    }

    private static void usage(ObjectNode answer, JsonNode done) {
        int prompt = done.path("promptTokens").asInt();
        int completion = done.path("completionTokens").asInt();
        answer.putObject("usage").put("prompt_tokens", prompt).put("completion_tokens", completion)
                .put("total_tokens", prompt + completion);
    }

    private static void send(OutputStream out, String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** An error event as OpenAI's clients read one ({@code data} holding {@code error}); no [DONE] follows. */
    private static void sendError(OutputStream out, ProblemException problem) throws IOException {
        ObjectNode event = JSON.createObjectNode();
        event.putObject("error").put("message", problem.getMessage()).put("type", "server_error")
                .put("code", problem.status());
        send(out, event.toString());
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[12];
        IDS.nextBytes(bytes);
        return bytes;
    }

    // ---- checking the request

    private static ObjectNode parse(String body) {
        if (body == null || body.isBlank()) {
            throw ProblemException.badRequest("body: a JSON object is required");
        }
        try {
            JsonNode node = JSON.readTree(body);
            if (!node.isObject()) {
                throw ProblemException.badRequest("body: must be a JSON object");
            }
            return (ObjectNode) node;
        } catch (JsonProcessingException e) {
            throw ProblemException.badRequest("body: not JSON (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")");
        }
    }

    private static ProblemException bad(String field, String message) {
        return ProblemException.invalid(new IllegalArgumentException(field + ": " + message));
    }

    private Checked check(ObjectNode body, boolean chat) {
        String promptField = chat ? "messages" : "prompt";
        for (Map.Entry<String, JsonNode> field : body.properties()) {
            if (!COMMON.contains(field.getKey()) && !field.getKey().equals(promptField)) {
                throw bad(field.getKey().length() > 64 ? field.getKey().substring(0, 64) : field.getKey(),
                        "not a field lmforge knows; it knows " + COMMON + " and " + promptField);
            }
        }
        JsonNode model = body.path("model");
        if (!model.isTextual()) {
            throw bad("model", "required: a model artifact's digest or a run id");
        }
        String digest = resolve(model.asText());
        ObjectNode forWorker = JSON.createObjectNode().put("model", digest);
        if (chat) {
            forWorker.set("messages", messages(body.path("messages")));
        } else {
            JsonNode prompt = body.path("prompt");
            if (!prompt.isTextual()) {
                throw bad("prompt", "required: one string (lists of prompts or of token ids are not served)");
            }
            if (prompt.asText().length() > MAX_PROMPT_CHARS) {
                throw bad("prompt", "at most " + MAX_PROMPT_CHARS + " characters, not " + prompt.asText().length());
            }
            forWorker.put("prompt", prompt.asText());
        }
        if (present(body, "max_tokens")) {
            JsonNode max = body.get("max_tokens");
            if (!max.canConvertToInt() || !max.isIntegralNumber() || max.asInt() < 1 || max.asInt() > MAX_TOKENS) {
                throw bad("max_tokens", "an integer from 1 to the model's context, not " + max);
            }
            forWorker.put("maxTokens", max.asInt());
        }
        forWorker.put("temperature", number(body, "temperature", 0, 0, 2, true));
        forWorker.put("topP", number(body, "top_p", 1, 0, 1, false));
        if (present(body, "seed")) {
            JsonNode seed = body.get("seed");
            if (!seed.isIntegralNumber() || !seed.canConvertToLong()) {
                throw bad("seed", "an integer, not " + seed);
            }
            forWorker.put("seed", seed.asLong());
        }
        forWorker.set("stop", stops(body.path("stop")));
        if (present(body, "n") && !(body.get("n").isIntegralNumber() && body.get("n").asInt() == 1)) {
            throw bad("n", "only 1 choice per request is served");
        }
        if (present(body, "user") && !body.get("user").isTextual()) {
            throw bad("user", "a string");
        }
        boolean stream = flag(body, "stream");
        boolean includeUsage = false;
        if (present(body, "stream_options")) {
            JsonNode options = body.get("stream_options");
            if (!options.isObject() || options.size() > 1 || (options.size() == 1 && !options.has("include_usage"))) {
                throw bad("stream_options", "an object with include_usage only");
            }
            includeUsage = flag(options, "include_usage");
        }
        return new Checked(model.asText(), digest, forWorker, stream, includeUsage);
    }

    private static boolean present(JsonNode body, String field) {
        return body.hasNonNull(field);
    }

    private static boolean flag(JsonNode body, String field) {
        if (!present(body, field)) {
            return false;
        }
        if (!body.get(field).isBoolean()) {
            throw bad(field, "true or false");
        }
        return body.get(field).asBoolean();
    }

    /** A number in range: {@code [low, high]}, or {@code (low, high]} when {@code lowIncluded} is false. */
    private static double number(JsonNode body, String field, double fallback, double low, double high,
                                 boolean lowIncluded) {
        if (!present(body, field)) {
            return fallback;
        }
        JsonNode value = body.get(field);
        if (!value.isNumber()) {
            throw bad(field, "a number, not " + value.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        double v = value.asDouble();
        boolean inRange = Double.isFinite(v) && (lowIncluded ? v >= low : v > low) && v <= high;
        if (!inRange) {
            throw bad(field, "a finite number in " + (lowIncluded ? "[" : "(") + low + ", " + high + "], not " + v);
        }
        return v;
    }

    private static ArrayNode messages(JsonNode messages) {
        if (!messages.isArray() || messages.isEmpty() || messages.size() > MAX_MESSAGES) {
            throw bad("messages", "required: 1 to " + MAX_MESSAGES + " messages, each a role and its content");
        }
        ArrayNode checked = JSON.createArrayNode();
        long chars = 0;
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String at = "messages[" + i + "]";
            if (!m.isObject()) {
                throw bad(at, "an object with role and content");
            }
            for (Map.Entry<String, JsonNode> field : m.properties()) {
                if (!field.getKey().equals("role") && !field.getKey().equals("content")) {
                    throw bad(at, "only role and content are served, not '"
                            + (field.getKey().length() > 64 ? field.getKey().substring(0, 64) : field.getKey()) + "'");
                }
            }
            if (!m.path("role").isTextual() || !ROLES.contains(m.path("role").asText())) {
                throw bad(at + ".role", "system, user or assistant");
            }
            if (!m.path("content").isTextual()) {
                throw bad(at + ".content", "a string");
            }
            chars += m.path("content").asText().length();
            checked.addObject().put("role", m.path("role").asText()).put("content", m.path("content").asText());
        }
        if (chars > MAX_PROMPT_CHARS) {
            throw bad("messages", "at most " + MAX_PROMPT_CHARS + " characters together, not " + chars);
        }
        return checked;
    }

    private static ArrayNode stops(JsonNode stop) {
        ArrayNode stops = JSON.createArrayNode();
        if (stop.isMissingNode() || stop.isNull()) {
            return stops;
        }
        List<JsonNode> given = new ArrayList<>();
        if (stop.isArray()) {
            stop.forEach(given::add);
        } else {
            given.add(stop);
        }
        if (given.size() > MAX_STOPS) {
            throw bad("stop", "at most " + MAX_STOPS + " stop sequences");
        }
        for (JsonNode s : given) {
            if (!s.isTextual() || s.asText().isEmpty() || s.asText().length() > MAX_STOP_CHARS) {
                throw bad("stop", "a string of 1 to " + MAX_STOP_CHARS + " characters, or a list of up to "
                        + MAX_STOPS);
            }
            stops.add(s.asText());
        }
        return stops;
    }

    /**
     * The digest of the model {@code model} names, if the caller's teams may use it: an artifact of kind
     * {@code model}, or a run's final model (the newest stage execution that produced one and succeeded).
     */
    private String resolve(String model) {
        User user = caller.user();
        if (DIGEST.matcher(model).matches()) {
            String digest = model.startsWith("sha256:") ? model.substring(7) : model;
            ArtifactRecord artifact = ledger.artifacts().artifact(digest)
                    .filter(a -> user.role() == Role.ADMIN || Permissions.canSeeAny(user, users.teamsUsingArtifact(digest)))
                    .orElseThrow(() -> notFound("no artifact sha256:" + digest + " that a run of your teams produced"));
            if (!"model".equals(artifact.kind())) {
                throw bad("model", "artifact sha256:" + digest + " is a " + artifact.kind() + ", not a model");
            }
            return digest;
        }
        if (!RUN_ID.matcher(model).matches()) {
            throw bad("model", "a model artifact's digest (64 lower-case hex characters) or a run id");
        }
        ledger.runs().run(model).filter(r -> Permissions.canSee(user, r.team()))
                .orElseThrow(() -> notFound("no run " + model + " of your teams"));
        String digest = null;
        for (StageRecord stage : ledger.runs().stages(model)) {
            if ("SUCCEEDED".equals(stage.status()) && stage.outputs().containsKey("model")) {
                digest = stage.outputs().get("model");
            }
        }
        if (digest == null) {
            throw notFound("run " + model + " has produced no model yet");
        }
        return digest;
    }

    private static ProblemException notFound(String message) {
        return new ProblemException(404, "Not Found", "model: " + message,
                List.of(new ProblemException.FieldError("model", message)));
    }
}
