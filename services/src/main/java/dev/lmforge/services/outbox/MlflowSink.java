package dev.lmforge.services.outbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lmforge.services.artifacts.ArtifactNotFoundException;
import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.Outbox;
import dev.lmforge.services.ledger.Outbox.MlflowRun;
import dev.lmforge.services.ledger.Outbox.OutboxEvent;
import dev.lmforge.services.ledger.Records.EvaluationResult;
import dev.lmforge.services.ledger.Records.MetricPoint;
import dev.lmforge.services.ledger.Records.MetricSummary;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Mirrors lmforge's runs into an MLflow tracking server through MLflow's REST API ({@code /api/2.0/mlflow}): a
 * lifecycle run is an MLflow run in its experiment (made when missing), each stage a nested run (tag
 * {@code mlflow.parentRunId}); the spec's and stage configs' settings are params, every metric series of the
 * stage is logged with its steps, evaluation figures as metrics {@code eval.<task>.<metric>}, artifacts as tags
 * linking to lmforge's artifact URLs. Batches keep within MLflow's limits (1000 metrics, 100 params, 100 tags,
 * 1000 entries per request), params are cut at MLflow's value length. A redelivered creation finds the run it
 * made by tag {@code lmforge.key}, so each lmforge run or stage row has one MLflow run.
 *
 * <p>Every request carries {@code Authorization: Bearer <token>} when a token applies (the run's team's, or
 * {@code LMFORGE_MLFLOW_TOKEN} for the process-wide server; never logged nor put in an error). With
 * {@code LMFORGE_MLFLOW_LOG_HF_MODEL=true} a succeeded run's end also uploads the {@code hf/} files of its final
 * model artifact (the Hugging Face Llama layout) as artifacts {@code hf/...} of its MLflow run, through MLflow's
 * artifact proxy ({@code PUT /api/2.0/mlflow-artifacts/artifacts/...}, which needs {@code mlflow server
 * --serve-artifacts}), at most {@value #MAX_HF_MODEL_BYTES} bytes in all; tag {@code lmforge.hf_model} says what
 * was uploaded, or why nothing was (too big, no {@code hf/} folder, a model missing from the artifact store, a
 * server that does not proxy artifacts).
 */
public final class MlflowSink implements Sink {

    static final int MAX_METRICS_PER_BATCH = 1000;
    static final int MAX_PARAMS_PER_BATCH = 100;
    static final int MAX_TAGS_PER_BATCH = 100;
    /** MLflow's limits on a param's value and a key (mlflow.utils.validation, MLflow 2.x and 3.x). */
    static final int MAX_PARAM_VALUE = 6000;
    static final int MAX_KEY = 250;
    static final int MAX_TAG_VALUE = 8000;
    /** A series longer than this is logged downsampled (first, every k-th, last), and tagged so. */
    static final int MAX_POINTS_PER_SERIES = 100_000;

    /** The cap on a model's {@code hf/} files uploaded to MLflow, in bytes (8 GiB: a model of 2B float32 parameters). */
    public static final long MAX_HF_MODEL_BYTES = 8L << 30;
    /** The most {@code hf/} files uploaded of one model. */
    static final int MAX_HF_FILES = 100;
    /** The time one file's upload may take. */
    static final Duration UPLOAD_TIMEOUT = Duration.ofMinutes(30);
    /** The folder of a model archive that holds the Hugging Face layout (activities' {@code ModelArchive.HF_FOLDER}). */
    static final String HF_PREFIX = "hf/";
    private static final Pattern SAFE_NAME = Pattern.compile("hf/[A-Za-z0-9._/-]{1,200}");

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Ledger ledger;
    private final Outbox outbox;
    private final IntegrationSettings settings;
    private final ArtifactStore artifacts;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** {@code artifacts} holds the model archives whose {@code hf/} files a run's end may upload. */
    public MlflowSink(Ledger ledger, Outbox outbox, IntegrationSettings settings, ArtifactStore artifacts) {
        this.ledger = ledger;
        this.outbox = outbox;
        this.settings = settings;
        this.artifacts = artifacts;
    }

    @Override
    public void deliver(OutboxEvent event) throws DeliveryException {
        JsonNode p;
        try {
            p = JSON.readTree(event.payload());
        } catch (IOException e) {
            throw new DeliveryException("the outbox holds an unreadable MLflow event", true, e);
        }
        Api api = new Api(event.endpoint(),
                settings.mlflowTokenFor(outbox.teamOfRun(event.runId()).orElse(null), event.endpoint()));
        String runId = p.path("runId").asText();
        switch (event.kind()) {
            case "run.start" -> {
                String experiment = api.experiment(p.path("experiment").asText());
                MlflowRun run = api.runFor("run:" + runId, experiment, p.path("startTime").asLong(),
                        p.path("runName").asText(), p.path("tags"));
                api.logParams(run.runId(), p.path("params"));
            }
            case "stage.start" -> {
                MlflowRun parent = mirrored(api, "run:" + runId);
                ObjectNode tags = ((ObjectNode) p.path("tags").deepCopy()).put("mlflow.parentRunId", parent.runId());
                MlflowRun run = api.runFor("stage:" + p.path("row").asLong(), parent.experimentId(),
                        p.path("startTime").asLong(), p.path("stage").asText(), tags);
                api.logParams(run.runId(), p.path("params"));
            }
            case "stage.end" -> {
                MlflowRun run = mirrored(api, "stage:" + p.path("row").asLong());
                long at = p.path("endTime").asLong();
                String stage = p.path("stage").asText();
                List<ObjectNode> metrics = new ArrayList<>();
                ObjectNode tags = (ObjectNode) p.path("tags").deepCopy();
                for (MetricSummary series : ledger.metrics().metricSummaries(runId)) {
                    if (!series.stage().equals(stage)) {
                        continue;
                    }
                    if (series.points() > MAX_POINTS_PER_SERIES) {
                        tags.put("lmforge.downsampled." + series.name(), series.points() + " points, logged "
                                + MAX_POINTS_PER_SERIES);
                    }
                    for (MetricPoint point : ledger.metrics().metricSeries(runId, stage, series.name(), MAX_POINTS_PER_SERIES)) {
                        metrics.add(metric(series.name(), point.value(), at, point.step()));
                    }
                }
                for (EvaluationResult r : ledger.metrics().evaluations(runId)) {
                    if (r.stage().equals(stage)) {
                        metrics.add(metric("eval." + r.task() + "." + r.metric(), r.value(), at, 0));
                        if (r.stderr() != null) {
                            metrics.add(metric("eval." + r.task() + "." + r.metric() + ".stderr", r.stderr(), at, 0));
                        }
                    }
                }
                api.logMetrics(run.runId(), metrics);
                api.logTags(run.runId(), tags);
                api.update(run.runId(), p.path("status").asText(), at);
            }
            case "run.end" -> {
                MlflowRun run = mirrored(api, "run:" + runId);
                ObjectNode tags = (ObjectNode) p.path("tags").deepCopy();
                if (p.hasNonNull("hfModel")) {
                    tags.put("lmforge.hf_model", api.logHfModel(run.runId(), p.path("hfModel").asText()));
                }
                api.logTags(run.runId(), tags);
                api.update(run.runId(), p.path("status").asText(), p.path("endTime").asLong());
            }
            default -> throw new DeliveryException("unknown MLflow event kind " + event.kind(), true, null);
        }
    }

    private MlflowRun mirrored(Api api, String key) throws DeliveryException {
        return outbox.mlflowRun(key, api.base).orElseThrow(() ->
                new DeliveryException("no MLflow run mirrors " + key + " on " + api.base + " yet", false, null));
    }

    private static ObjectNode metric(String key, double value, long at, long step) {
        ObjectNode m = JSON.createObjectNode().put("key", key(key)).put("timestamp", at).put("step", step);
        // MLflow's JSON takes NaN and infinities as strings.
        if (Double.isFinite(value)) {
            m.put("value", value);
        } else {
            m.put("value", Double.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
        return m;
    }

    /** A path with each segment percent-encoded (a space as {@code %20}). */
    static String encodePath(String path) {
        StringBuilder out = new StringBuilder();
        for (String segment : path.split("/", -1)) {
            if (out.length() > 0) {
                out.append('/');
            }
            out.append(URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return out.toString();
    }

    /** A key MLflow accepts: letters, digits, {@code _ - . / space}, at most 250 characters. */
    static String key(String key) {
        String clean = key.replaceAll("[^A-Za-z0-9_\\-./ ]", "_");
        return clean.length() <= MAX_KEY ? clean : clean.substring(0, MAX_KEY);
    }

    /** A value cut to {@code max} characters, saying so at its end. */
    static String cut(String value, int max) {
        if (value.length() <= max) {
            return value;
        }
        String mark = "...[" + (value.length() - max) + " more characters]";
        return value.substring(0, max - mark.length()) + mark;
    }

    /** One tracking server's REST API. */
    private final class Api {

        final String base;
        private final String token;

        Api(String base, String token) {
            this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
            this.token = token;
        }

        /**
         * Uploads the {@code hf/} files of model archive {@code digest} as artifacts of MLflow run {@code runId};
         * returns what it did, or why it did nothing, for tag {@code lmforge.hf_model}. An outage throws (retried).
         */
        String logHfModel(String runId, String digest) throws DeliveryException {
            String artifactUri = get("runs/get?run_id=" + URLEncoder.encode(runId, StandardCharsets.UTF_8))
                    .orElseThrow(() -> new DeliveryException("MLflow at " + base + " lost run " + runId, false, null))
                    .path("run").path("info").path("artifact_uri").asText();
            if (!artifactUri.startsWith("mlflow-artifacts:")) {
                return "not logged: the server stores artifacts itself, not through its proxy (mlflow server --serve-artifacts)";
            }
            String root = artifactUri.replaceFirst("^mlflow-artifacts:(//[^/]*)?/*", "");
            Path archive = null;
            try {
                archive = Files.createTempFile("lmforge-hf-", ".zip");
                artifacts.download(digest, archive);
                try (ZipFile zip = new ZipFile(archive.toFile())) {
                    List<? extends ZipEntry> files = zip.stream().filter(e -> !e.isDirectory() && e.getName().startsWith(HF_PREFIX))
                            .toList();
                    long bytes = files.stream().mapToLong(ZipEntry::getSize).sum();
                    if (files.isEmpty()) {
                        return "not logged: model " + digest + " has no " + HF_PREFIX + " folder";
                    }
                    if (files.size() > MAX_HF_FILES || bytes > MAX_HF_MODEL_BYTES || files.stream().anyMatch(e -> e.getSize() < 0)) {
                        return "not logged: the " + HF_PREFIX + " files of model " + digest + " are " + files.size()
                                + " files of " + bytes + " bytes, more than the cap of " + MAX_HF_FILES + " files or "
                                + MAX_HF_MODEL_BYTES + " bytes";
                    }
                    for (ZipEntry file : files) {
                        if (!SAFE_NAME.matcher(file.getName()).matches() || file.getName().contains("..")) {
                            return "not logged: model " + digest + " holds an entry whose name is not a plain relative path";
                        }
                    }
                    for (ZipEntry file : files) {
                        String path = encodePath(root + "/" + file.getName());
                        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/api/2.0/mlflow-artifacts/artifacts/" + path))
                                .header("Content-Type", "application/octet-stream")
                                .PUT(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> {
                                    try {
                                        return zip.getInputStream(file);
                                    } catch (IOException e) {
                                        throw new java.io.UncheckedIOException(e);
                                    }
                                }), file.getSize())), UPLOAD_TIMEOUT);
                        body(r, "mlflow-artifacts/artifacts");
                    }
                    return "logged " + files.size() + " files (" + bytes + " bytes) of model " + digest + " under hf/";
                }
            } catch (ArtifactNotFoundException e) {
                return "not logged: model " + digest + " is not in lmforge's artifact store";
            } catch (IOException | RuntimeException e) {
                throw new DeliveryException("uploading the hf/ files of model " + digest + " to " + base + ": "
                        + OpenLineageSink.describe(e), false, e);
            } finally {
                if (archive != null) {
                    try {
                        Files.deleteIfExists(archive);
                    } catch (IOException e) {
                        // A temporary file left behind is removed with the temporary folder.
                    }
                }
            }
        }

        String experiment(String name) throws DeliveryException {
            Optional<JsonNode> found = get("experiments/get-by-name?experiment_name=" + URLEncoder.encode(name, StandardCharsets.UTF_8));
            if (found.isPresent()) {
                return found.get().path("experiment").path("experiment_id").asText();
            }
            JsonNode made = post("experiments/create", JSON.createObjectNode().put("name", name), true);
            if (made == null) {
                return get("experiments/get-by-name?experiment_name=" + URLEncoder.encode(name, StandardCharsets.UTF_8))
                        .orElseThrow(() -> new DeliveryException("MLflow at " + base + " neither has nor makes experiment "
                                + name, false, null)).path("experiment").path("experiment_id").asText();
            }
            return made.path("experiment_id").asText();
        }

        /** The run that mirrors {@code key}: the one recorded, or one tagged with it, or a new one. */
        MlflowRun runFor(String key, String experimentId, long startTime, String name, JsonNode tags) throws DeliveryException {
            Optional<MlflowRun> known = outbox.mlflowRun(key, base);
            if (known.isPresent()) {
                return known.get();
            }
            ObjectNode search = JSON.createObjectNode().put("filter", "tags.`lmforge.key` = '" + key + "'")
                    .put("max_results", 1);
            search.putArray("experiment_ids").add(experimentId);
            JsonNode hits = post("runs/search", search, false).path("runs");
            String runId;
            if (hits.size() > 0) {
                runId = hits.get(0).path("info").path("run_id").asText();
            } else {
                ObjectNode create = JSON.createObjectNode().put("experiment_id", experimentId).put("start_time", startTime)
                        .put("run_name", name);
                ArrayNode t = create.putArray("tags");
                t.addObject().put("key", "lmforge.key").put("value", key);
                for (Iterator<Map.Entry<String, JsonNode>> it = tags.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    t.addObject().put("key", key(e.getKey())).put("value", cut(e.getValue().asText(), MAX_TAG_VALUE));
                }
                runId = post("runs/create", create, false).path("run").path("info").path("run_id").asText();
            }
            outbox.recordMlflowRun(key, base, experimentId, runId);
            return new MlflowRun(experimentId, runId);
        }

        void logParams(String runId, JsonNode params) throws DeliveryException {
            List<ObjectNode> all = new ArrayList<>();
            params.fields().forEachRemaining(e -> all.add(JSON.createObjectNode().put("key", key(e.getKey()))
                    .put("value", cut(e.getValue().asText(), MAX_PARAM_VALUE))));
            batches(runId, "params", all, MAX_PARAMS_PER_BATCH);
        }

        void logTags(String runId, JsonNode tags) throws DeliveryException {
            List<ObjectNode> all = new ArrayList<>();
            tags.fields().forEachRemaining(e -> all.add(JSON.createObjectNode().put("key", key(e.getKey()))
                    .put("value", cut(e.getValue().asText(), MAX_TAG_VALUE))));
            batches(runId, "tags", all, MAX_TAGS_PER_BATCH);
        }

        void logMetrics(String runId, List<ObjectNode> metrics) throws DeliveryException {
            batches(runId, "metrics", metrics, MAX_METRICS_PER_BATCH);
        }

        private void batches(String runId, String field, List<ObjectNode> entries, int size) throws DeliveryException {
            for (int from = 0; from < entries.size(); from += size) {
                ObjectNode batch = JSON.createObjectNode().put("run_id", runId);
                batch.putArray(field).addAll(entries.subList(from, Math.min(entries.size(), from + size)));
                post("runs/log-batch", batch, false);
            }
        }

        void update(String runId, String status, long endTime) throws DeliveryException {
            post("runs/update", JSON.createObjectNode().put("run_id", runId).put("status", status).put("end_time", endTime), false);
        }

        private Optional<JsonNode> get(String path) throws DeliveryException {
            HttpResponse<String> r = send(HttpRequest.newBuilder(uri(path)).GET());
            if (r.statusCode() == 404) {
                return Optional.empty();
            }
            return Optional.of(body(r, path));
        }

        /** POSTs; with {@code existsIsNull}, an answer that the resource already exists returns null. */
        private JsonNode post(String path, JsonNode body, boolean existsIsNull) throws DeliveryException {
            HttpResponse<String> r = send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
            if (existsIsNull && r.statusCode() == 400 && r.body().contains("RESOURCE_ALREADY_EXISTS")) {
                return null;
            }
            return body(r, path);
        }

        private URI uri(String path) throws DeliveryException {
            try {
                return URI.create(base + "/api/2.0/mlflow/" + path);
            } catch (IllegalArgumentException e) {
                throw new DeliveryException("MLflow tracking URI " + base + " is not a URL", true, e);
            }
        }

        private HttpResponse<String> send(HttpRequest.Builder request) throws DeliveryException {
            return send(request, Duration.ofSeconds(30));
        }

        private HttpResponse<String> send(HttpRequest.Builder request, Duration timeout) throws DeliveryException {
            if (token != null) {
                request.header("Authorization", "Bearer " + token);
            }
            try {
                return http.send(request.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                throw new DeliveryException(OpenLineageSink.describe(e) + " (" + base + ")", false, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DeliveryException("interrupted while talking to " + base, false, e);
            }
        }

        private JsonNode body(HttpResponse<String> r, String path) throws DeliveryException {
            if (r.statusCode() / 100 != 2) {
                String message = r.body() == null ? "" : r.body();
                try {
                    JsonNode error = JSON.readTree(message);
                    message = error.path("error_code").asText() + ": " + error.path("message").asText();
                } catch (IOException e) {
                    // Not MLflow's JSON error: keep the start of the text.
                }
                throw new DeliveryException("HTTP " + r.statusCode() + " from " + base + " (" + path.replaceAll("\\?.*", "")
                        + "): " + cut(message, 300), Sink.refused(r.statusCode()), null);
            }
            try {
                return JSON.readTree(r.body());
            } catch (IOException e) {
                throw new DeliveryException("unreadable answer from " + base + " (" + path + ")", false, e);
            }
        }
    }
}
