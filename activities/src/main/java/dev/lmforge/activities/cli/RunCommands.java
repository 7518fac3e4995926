package dev.lmforge.activities.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.services.config.LmforgeSettings;
import java.io.IOException;
import java.io.PrintStream;
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
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The commands that talk to a running lmforge through its REST API ({@code LMFORGE_URL}, default
 * {@code http://127.0.0.1:8080}): {@code run}, {@code runs}, {@code status}, {@code resume}, {@code pause},
 * {@code cancel}, {@code compare}. Each call sends {@code Authorization: Bearer} with the API token in {@code LMFORGE_TOKEN} or,
 * failing that, the one the local stack keeps in {@code DATA_DIR/cli-token}. Errors come back as problem
 * details, which are printed as they are.
 */
final class RunCommands {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Where the local stack keeps its CLI token, in its data folder (written by the control plane). */
    private static final String CLI_TOKEN_FILE = "cli-token";
    private static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED", "INTERRUPTED");

    private RunCommands() {
    }

    static List<Command> all() {
        return List.of(
                command("run", "submit a lifecycle spec (YAML or JSON): SPEC [--wait]", (a, out, err) -> {
                    a.allowOnly("wait");
                    Path spec = Path.of(a.positional(0, "SPEC file"));
                    String type = spec.toString().endsWith(".json") ? "application/json" : "application/yaml";
                    JsonNode run = call("POST", "/api/runs", HttpRequest.BodyPublishers.ofFile(spec), type);
                    out.println("submitted run " + run.path("id").asText());
                    return a.has("wait") ? follow(run.path("id").asText(), out) : 0;
                }),
                command("runs", "list runs: [--status S] [--limit N]", (a, out, err) -> {
                    a.allowOnly("status", "limit");
                    String query = "?limit=" + a.getLong("limit", 20)
                            + (a.has("status") ? "&status=" + URLEncoder.encode(a.require("status"), StandardCharsets.UTF_8) : "");
                    JsonNode page = call("GET", "/api/runs" + query, HttpRequest.BodyPublishers.noBody(), null);
                    for (JsonNode r : page.path("items")) {
                        out.printf("%-28s %-12s %s%n", r.path("id").asText(), r.path("status").asText(), r.path("name").asText());
                    }
                    out.println(page.path("total").asLong() + " run(s)");
                    return 0;
                }),
                command("status", "show a run's stages and attempts: RUN [--json]", (a, out, err) -> {
                    a.allowOnly("json");
                    JsonNode run = call("GET", "/api/runs/" + a.positional(0, "RUN id"), HttpRequest.BodyPublishers.noBody(), null);
                    if (a.has("json")) {
                        out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(run));
                    } else {
                        printRun(run, out);
                    }
                    return 0;
                }),
                command("resume", "resume a run (a paused one goes on; an interrupted, failed or cancelled one "
                        + "starts a linked run reusing its completed stages): RUN [--dry-run] [--wait]", (a, out, err) -> {
                    a.allowOnly("dry-run", "wait");
                    String id = a.positional(0, "RUN id");
                    boolean dry = a.has("dry-run");
                    JsonNode plan = call("POST", "/api/runs/" + id + "/resume" + (dry ? "?dryRun=true" : ""),
                            HttpRequest.BodyPublishers.noBody(), null);
                    for (JsonNode s : plan.path("stages")) {
                        out.printf("  %-14s %-7s %s%n", s.path("stage").asText(), s.path("action").asText(), s.path("reason").asText());
                    }
                    if (dry) {
                        out.println("dry run: nothing was started");
                        return 0;
                    }
                    String newRun = plan.path("runId").asText();
                    out.println(newRun.equals(id) ? "run " + id + " goes on" : "resumed as run " + newRun);
                    return a.has("wait") ? follow(newRun, out) : 0;
                }),
                command("audit", "check the audit log's chain and anchors (admins): verify [--json]; exit 1 when broken",
                        (a, out, err) -> {
                    a.allowOnly("json");
                    if (!"verify".equals(a.positional(0, "'verify'"))) {
                        throw new Args.UsageException("audit: the only subcommand is 'verify'");
                    }
                    JsonNode v = call("GET", "/api/audit/verify", HttpRequest.BodyPublishers.noBody(), null);
                    if (a.has("json")) {
                        out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(v));
                    } else if (v.path("intact").asBoolean()) {
                        out.println("audit log intact: " + v.path("checked").asLong() + " events, "
                                + (v.path("anchoredThrough").isNull() ? "no anchor yet" : "anchored through event "
                                + v.path("anchoredThrough").asLong()));
                    } else {
                        out.println("audit log BROKEN: " + v.path("reason").asText()
                                + (v.path("firstBadId").isNull() ? "" : " at event " + v.path("firstBadId").asLong())
                                + ": " + v.path("problem").asText());
                    }
                    return v.path("intact").asBoolean() ? 0 : 1;
                }),
                command("pause", "pause a run before its next stage: RUN", (a, out, err) -> signal("pause", a, out)),
                command("cancel", "cancel a run: RUN", (a, out, err) -> signal("cancel", a, out)),
                command("compare", "evaluation scores of runs side by side: RUN RUN... [--json]", (a, out, err) -> {
                    a.allowOnly("json");
                    List<String> ids = a.positional();
                    if (ids.size() < 2) {
                        throw new Args.UsageException("compare: name at least two runs (RUN RUN...), got " + ids.size());
                    }
                    StringBuilder query = new StringBuilder();
                    for (String id : ids) {
                        query.append(query.isEmpty() ? '?' : '&').append("run=").append(URLEncoder.encode(id, StandardCharsets.UTF_8));
                    }
                    JsonNode runs = call("GET", "/api/compare" + query, HttpRequest.BodyPublishers.noBody(), null);
                    out.print(a.has("json") ? JSON.writerWithDefaultPrettyPrinter().writeValueAsString(runs) + "\n" : scoreTable(runs));
                    return 0;
                }));
    }

    /**
     * The compared runs' evaluation figures as a text table: a row per stage, task and metric that any run has,
     * a column per run ({@code -} where a run lacks the figure).
     */
    static String scoreTable(JsonNode runs) {
        Map<String, List<String>> rows = new LinkedHashMap<>();
        for (int i = 0; i < runs.size(); i++) {
            for (JsonNode e : runs.get(i).path("evaluations")) {
                String key = e.path("stage").asText() + "  " + e.path("task").asText() + "  " + e.path("metric").asText();
                List<String> cells = rows.computeIfAbsent(key, k -> new ArrayList<>(Collections.nCopies(runs.size(), "-")));
                cells.set(i, String.format(Locale.ROOT, "%.4f", e.path("value").asDouble())
                        + (e.hasNonNull("stderr") ? String.format(Locale.ROOT, " ±%.4f", e.path("stderr").asDouble()) : ""));
            }
        }
        int keyWidth = rows.keySet().stream().mapToInt(String::length).max().orElse(0);
        keyWidth = Math.max(keyWidth, "stage  task  metric".length());
        List<String> header = new ArrayList<>();
        runs.forEach(r -> header.add(r.path("id").asText()));
        int cellWidth = header.stream().mapToInt(String::length).max().orElse(0);
        for (List<String> cells : rows.values()) {
            cellWidth = Math.max(cellWidth, cells.stream().mapToInt(String::length).max().orElse(0));
        }
        String format = "%-" + keyWidth + "s" + (" | %" + cellWidth + "s").repeat(runs.size()) + "%n";
        StringBuilder table = new StringBuilder();
        table.append(String.format(Locale.ROOT, format, concat("stage  task  metric", header)));
        rows.forEach((key, cells) -> table.append(String.format(Locale.ROOT, format, concat(key, cells))));
        if (rows.isEmpty()) {
            table.append("no evaluation figures in these runs\n");
        }
        return table.toString();
    }

    private static Object[] concat(String first, List<String> rest) {
        List<Object> all = new ArrayList<>();
        all.add(first);
        all.addAll(rest);
        return all.toArray();
    }

    private static int signal(String action, Args a, PrintStream out) throws Exception {
        a.allowOnly();
        String id = a.positional(0, "RUN id");
        call("POST", "/api/runs/" + id + "/" + action, HttpRequest.BodyPublishers.noBody(), null);
        out.println(action + " sent to run " + id);
        return 0;
    }

    /** Prints stage changes until the run ends; exit code 0 only when it succeeded. */
    private static int follow(String runId, PrintStream out) throws Exception {
        String last = "";
        while (true) {
            JsonNode run = call("GET", "/api/runs/" + runId, HttpRequest.BodyPublishers.noBody(), null);
            String line = describe(run);
            if (!line.equals(last)) {
                out.println(line);
                last = line;
            }
            String status = run.path("status").asText();
            if (TERMINAL.contains(status)) {
                if (!status.equals("SUCCEEDED")) {
                    out.println("run " + runId + " ended " + status + ": " + run.path("error").asText(""));
                }
                return status.equals("SUCCEEDED") ? 0 : 1;
            }
            Thread.sleep(1000);
        }
    }

    private static String describe(JsonNode run) {
        StringBuilder sb = new StringBuilder(run.path("id").asText()).append(' ').append(run.path("status").asText()).append(':');
        for (JsonNode s : run.path("stages")) {
            sb.append(' ').append(s.path("stage").asText()).append('=').append(s.path("status").asText());
        }
        return sb.toString();
    }

    private static void printRun(JsonNode run, PrintStream out) {
        out.println("run     " + run.path("id").asText() + "  " + run.path("status").asText() + "  " + run.path("name").asText());
        if (!run.path("resumedFrom").isNull() && run.has("resumedFrom")) {
            out.println("resumed from " + run.path("resumedFrom").asText());
        }
        if (run.hasNonNull("error")) {
            out.println("error   " + run.path("error").asText());
        }
        for (JsonNode s : run.path("stages")) {
            out.printf("  %-14s %-11s attempts=%d%s%n", s.path("stage").asText(), s.path("status").asText(),
                    s.path("attempts").size(), s.hasNonNull("reusedFrom") ? " reused stage " + s.path("reusedFrom").asText() : "");
            for (JsonNode at : s.path("attempts")) {
                out.printf("      #%d %-9s on %s%s%n", at.path("attempt").asInt(), at.path("status").asText(),
                        at.path("worker").asText(), at.hasNonNull("resumedFromCheckpoint") ? " (resumed from checkpoint)" : "");
            }
            s.path("outputs").fields().forEachRemaining(e -> out.println("      -> " + e.getKey() + " sha256:" + e.getValue().asText()));
        }
    }

    static JsonNode call(String method, String path, HttpRequest.BodyPublisher body, String contentType) throws Exception {
        String base = System.getenv().getOrDefault("LMFORGE_URL", "http://127.0.0.1:8080");
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).method(method, body)
                .timeout(Duration.ofSeconds(60)).header("Accept", "application/json")
                .header("Authorization", "Bearer " + token());
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        HttpResponse<String> response;
        try {
            response = HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.net.ConnectException e) {
            throw new IllegalStateException("no lmforge at " + base + " (start one with './lmforge up', or set LMFORGE_URL)");
        }
        if (response.statusCode() >= 400) {
            JsonNode problem = JSON.readTree(response.body().isEmpty() ? "{}" : response.body());
            throw new IllegalStateException(response.statusCode() + " " + problem.path("title").asText("")
                    + ": " + problem.path("detail").asText(response.body()));
        }
        return response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
    }

    /** {@code LMFORGE_TOKEN}, else the local stack's token file; a clear error when there is neither. */
    static String token() throws IOException {
        String token = System.getenv("LMFORGE_TOKEN");
        if (token != null && !token.isBlank()) {
            return token.strip();
        }
        Path file = LmforgeSettings.fromSystem().dataDir().resolve(CLI_TOKEN_FILE);
        if (Files.isReadable(file)) {
            return Files.readString(file).strip();
        }
        throw new IllegalStateException("no API token: set LMFORGE_TOKEN (make one on the console's Tokens page), "
                + "or run next to a local lmforge, which keeps one in " + file);
    }

    private interface Body {
        int run(Args args, PrintStream out, PrintStream err) throws Exception;
    }

    private static Command command(String name, String summary, Body body) {
        return new Command() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String summary() {
                return summary;
            }

            @Override
            public int run(Args args, PrintStream out, PrintStream err) throws Exception {
                return body.run(args, out, err);
            }
        };
    }
}
