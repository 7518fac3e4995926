package dev.lmforge.activities.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.services.config.LmforgeSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The commands that talk to a running lmforge through its REST API ({@code LMFORGE_URL}, default
 * {@code http://127.0.0.1:8080}): {@code run}, {@code runs}, {@code status}, {@code resume}, {@code extend}, {@code pause},
 * {@code cancel}, {@code compare}, {@code audit}, {@code artifacts}, {@code lineage}, {@code logs}. Each call sends {@code Authorization: Bearer} with the API token in {@code LMFORGE_TOKEN} or,
 * failing that, the one the local stack keeps in {@code DATA_DIR/cli-token}. Errors come back as problem
 * details, which are printed as they are.
 */
final class RunCommands {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Where the local stack keeps its CLI token, in its data folder (written by the control plane). */
    private static final String CLI_TOKEN_FILE = "cli-token";
    private static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED", "INTERRUPTED");
    private static final DateTimeFormatter CREATED = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);

    private RunCommands() {
    }

    static List<Command> all() {
        return List.of(
                command("run", "submit a lifecycle spec (YAML or JSON): SPEC [--wait]", Help.of(
                        "Submits a lifecycle spec (YAML, or JSON for a .json file) to the running lmforge and prints the "
                        + "new run's id; with --wait, follows its stages until it ends.")
                        .usage("run SPEC [--wait]")
                        .option("--wait", "print stage changes until the run ends; exit 0 only if it succeeded")
                        .example("lmforge run samples/demo.yaml --wait"), (a, out, err) -> {
                    a.allowOnly("wait");
                    Path spec = Path.of(a.positional(0, "SPEC file"));
                    String type = spec.toString().endsWith(".json") ? "application/json" : "application/yaml";
                    JsonNode run = call("POST", "/api/runs", HttpRequest.BodyPublishers.ofFile(spec), type);
                    out.println("submitted run " + run.path("id").asText());
                    return a.has("wait") ? follow(run.path("id").asText(), out) : 0;
                }),
                command("runs", "list runs, newest first: [--status S] [--name PREFIX] [--limit N] [--json]", Help.of(
                        "Lists the runs you may see, newest first: id, status, name, team, when it was created (local "
                        + "time) and how long it ran ('+' marks a run still going).")
                        .usage("runs [--status S] [--name PREFIX] [--limit N] [--offset N] [--json]")
                        .option("--status S", "only runs in this status: QUEUED, RUNNING, PAUSED, SUCCEEDED, FAILED, "
                                + "CANCELLED, INTERRUPTED")
                        .option("--name PREFIX", "only runs whose name starts with PREFIX")
                        .option("--limit N", "at most N runs (default 20, at most 200)")
                        .option("--offset N", "skip the N newest, for the next page")
                        .option("--json", "the API's page as JSON")
                        .example("lmforge runs").example("lmforge runs --status FAILED --limit 5"), (a, out, err) -> {
                    a.allowOnly("status", "name", "limit", "offset", "json");
                    StringBuilder query = new StringBuilder("?limit=" + a.getLong("limit", 20) + "&offset=" + a.getLong("offset", 0));
                    if (a.has("status")) {
                        query.append("&status=").append(encode(a.require("status")));
                    }
                    if (a.has("name")) {
                        query.append("&q=").append(encode(a.require("name")));
                    }
                    JsonNode page = call("GET", "/api/runs" + query, HttpRequest.BodyPublishers.noBody(), null);
                    out.print(a.has("json") ? pretty(page) : runsTable(page, Instant.now(), ZoneId.systemDefault()));
                    return 0;
                }),
                command("status", "show a run's stages and attempts: RUN [--json]", Help.of(
                        "Shows a run: its status, each planned stage with its attempts (worker, status) and outputs.")
                        .usage("status RUN [--json]")
                        .option("--json", "the API's run view as JSON (spec, stages, attempts, metric summaries)")
                        .example("lmforge status run-20261207-0001"), (a, out, err) -> {
                    a.allowOnly("json");
                    JsonNode run = call("GET", "/api/runs/" + encode(a.positional(0, "RUN id")), HttpRequest.BodyPublishers.noBody(), null);
                    if (a.has("json")) {
                        out.print(pretty(run));
                    } else {
                        printRun(run, out);
                    }
                    return 0;
                }),
                command("resume", "resume a run (a paused one goes on; an interrupted, failed or cancelled one "
                        + "starts a linked run reusing its completed stages): RUN [--dry-run] [--wait]", Help.of(
                        "Resumes a run. A paused run goes on in place; an interrupted, failed or cancelled one starts a "
                        + "new run linked to it that reuses every completed stage with the same cache key.")
                        .usage("resume RUN [--dry-run] [--wait]")
                        .option("--dry-run", "only print which stages would be reused and which run again")
                        .option("--wait", "follow the run that goes on until it ends")
                        .example("lmforge resume run-20261207-0001 --dry-run")
                        .example("lmforge resume run-20261207-0001 --wait"), (a, out, err) -> {
                    a.allowOnly("dry-run", "wait");
                    String id = a.positional(0, "RUN id");
                    boolean dry = a.has("dry-run");
                    JsonNode plan = call("POST", "/api/runs/" + encode(id) + "/resume" + (dry ? "?dryRun=true" : ""),
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
                command("extend", "continue a finished pretraining to a larger budget from its multi-step "
                        + "boundary checkpoint: RUN --budget FLOPS [--dry-run] [--wait]", Help.of(
                        "Continual training (the paper's Figure 1b): starts a new run with RUN's spec, compute.budget "
                        + "raised and training.extendFrom set to RUN's checkpoint at the multi-step schedule's first "
                        + "drop, so the same model goes on from there. Prints the plan: steps reused and new, tokens, compute.")
                        .usage("extend RUN --budget FLOPS [--dry-run] [--wait]")
                        .option("--budget FLOPS", "the new compute budget, above RUN's compute.budget")
                        .option("--dry-run", "only print the plan; start nothing")
                        .option("--wait", "follow the new run until it ends")
                        .example("lmforge extend run-20261207-0001 --budget 6e10 --dry-run"), (a, out, err) -> {
                    a.allowOnly("budget", "dry-run", "wait");
                    String id = a.positional(0, "RUN id");
                    boolean dry = a.has("dry-run");
                    a.require("budget");
                    String body = JSON.writeValueAsString(Map.of("budget", a.getDouble("budget", 0)));
                    JsonNode plan = call("POST", "/api/runs/" + encode(id) + "/extend?dryRun=" + dry,
                            HttpRequest.BodyPublishers.ofString(body), "application/json");
                    out.printf("  budget   %s -> %s FLOPs%n  steps    %d -> %d: %d reused from checkpoint %s, %d new%n"
                                    + "  tokens   %d%n  compute  %s FLOPs%n", plan.path("currentBudget").asText(),
                            plan.path("budget").asText(), plan.path("previousSteps").asLong(), plan.path("steps").asLong(),
                            plan.path("reusedSteps").asLong(), plan.path("checkpoint").asText(),
                            plan.path("newSteps").asLong(), plan.path("tokens").asLong(), plan.path("compute").asText());
                    if (dry) {
                        out.println("dry run: nothing was started");
                        return 0;
                    }
                    String newRun = plan.path("runId").asText();
                    out.println("extended as run " + newRun);
                    return a.has("wait") ? follow(newRun, out) : 0;
                }),
                command("audit", "check the audit log's chain and anchors (admins): verify [--json]; exit 1 when broken", Help.of(
                        "Walks the audit log's hash chain and compares it with its newest anchor in the object store "
                        + "(admins only). Exits 0 when intact, 1 when broken, naming the first bad event and why.")
                        .usage("audit verify [--json]")
                        .option("--json", "the verification as JSON")
                        .example("lmforge audit verify"), (a, out, err) -> {
                    a.allowOnly("json");
                    if (!"verify".equals(a.positional(0, "'verify'"))) {
                        throw new Args.UsageException("the only subcommand is 'verify'");
                    }
                    JsonNode v = call("GET", "/api/audit/verify", HttpRequest.BodyPublishers.noBody(), null);
                    if (a.has("json")) {
                        out.print(pretty(v));
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
                command("pause", "pause a run before its next stage: RUN", Help.of(
                        "Asks a running run to pause before its next stage; 'lmforge resume RUN' lets it go on.")
                        .usage("pause RUN").example("lmforge pause run-20261207-0001"), (a, out, err) -> signal("pause", a, out)),
                command("cancel", "cancel a run: RUN", Help.of(
                        "Cancels a queued, running or paused run and its running stage.")
                        .usage("cancel RUN").example("lmforge cancel run-20261207-0001"), (a, out, err) -> signal("cancel", a, out)),
                command("compare", "evaluation scores of runs side by side: RUN RUN... [--json]", Help.of(
                        "Prints the evaluation figures of two to eight runs side by side: a row per stage, task and "
                        + "metric, a column per run ('-' where a run lacks the figure). Also 'lmforge eval compare'.")
                        .usage("compare RUN RUN... [--json]")
                        .option("--json", "the API's comparison as JSON (specs, stages, figures)")
                        .example("lmforge compare run-20261207-0001 run-20261207-0002"), (a, out, err) -> {
                    a.allowOnly("json");
                    List<String> ids = a.positional();
                    if (ids.size() < 2) {
                        throw new Args.UsageException("name at least two runs (RUN RUN...), got " + ids.size());
                    }
                    StringBuilder query = new StringBuilder();
                    for (String id : ids) {
                        query.append(query.isEmpty() ? '?' : '&').append("run=").append(encode(id));
                    }
                    JsonNode runs = call("GET", "/api/compare" + query, HttpRequest.BodyPublishers.noBody(), null);
                    out.print(a.has("json") ? pretty(runs) : scoreTable(runs));
                    return 0;
                }),
                command("artifacts", "an artifact's metadata or bytes: show DIGEST | download DIGEST|RUN:NAME [--out PATH]", Help.of(
                        "Shows an artifact's metadata, or downloads its bytes, checked against its SHA-256 before the "
                        + "file appears. An artifact is named by its digest, or by a run and the name of one of its "
                        + "stages' outputs (RUN:NAME, or RUN:STAGE/NAME where two stages have an output of that name).")
                        .usage("artifacts show DIGEST")
                        .usage("artifacts download DIGEST|RUN:NAME|RUN:STAGE/NAME [--out PATH] [--force]")
                        .option("--out PATH", "the file to write, or a folder to write it in (an existing one, or "
                                + "one ending in '/'); default: the current folder, as KIND-DIGESTPREFIX")
                        .option("--force", "replace the file if it exists")
                        .example("lmforge artifacts download run-20261207-0001:final-model --out model/")
                        .example("lmforge artifacts show 3fa2b1c4...(64 hex)"), (a, out, err) -> {
                    String verb = a.positional(0, "'show' or 'download'");
                    switch (verb) {
                        case "show" -> {
                            a.allowOnly();
                            out.print(pretty(call("GET", "/api/artifacts/" + resolve(a.positional(1, "DIGEST or RUN:NAME")),
                                    HttpRequest.BodyPublishers.noBody(), null)));
                            return 0;
                        }
                        case "download" -> {
                            a.allowOnly("out", "force");
                            String digest = resolve(a.positional(1, "DIGEST or RUN:NAME"));
                            Path saved = download(digest, a.get("out", null), a.has("force"));
                            out.println("saved sha256:" + digest + " (" + Files.size(saved) + " bytes, checked) to " + saved);
                            return 0;
                        }
                        default -> throw new Args.UsageException("unknown subcommand '" + verb + "'; expected show or download");
                    }
                }),
                command("lineage", "what an artifact was made from, or what was made from it: DIGEST|RUN:NAME [--up|--down] [--json]", Help.of(
                        "Walks an artifact's lineage: --up (the default) shows what it was made from, stage by stage, "
                        + "back to the raw inputs; --down shows everything made from it. Only the stages of your "
                        + "teams' runs are shown.")
                        .usage("lineage DIGEST|RUN:NAME [--up|--down] [--json]")
                        .option("--up", "what it was made from (the default)")
                        .option("--down", "what was made from it")
                        .option("--json", "the API's graph as JSON (artifacts, stages, edges)")
                        .example("lmforge lineage run-20261207-0001:final-model")
                        .example("lmforge lineage 3fa2b1c4...(64 hex) --down"), (a, out, err) -> {
                    a.allowOnly("up", "down", "json");
                    if (a.has("up") && a.has("down")) {
                        throw new Args.UsageException("give --up or --down, not both");
                    }
                    String digest = resolve(a.positional(0, "DIGEST or RUN:NAME"));
                    boolean up = !a.has("down");
                    JsonNode graph = call("GET", "/api/artifacts/" + digest + "/lineage?direction=" + (up ? "up" : "down"),
                            HttpRequest.BodyPublishers.noBody(), null);
                    out.print(a.has("json") ? pretty(graph) : lineageTree(graph, digest, up));
                    return 0;
                }),
                command("logs", "the log of a stage attempt: RUN STAGE [--attempt N]", Help.of(
                        "Prints the log of one attempt of a run's stage as its compute worker captured it: the first "
                        + "64 KiB and the last 192 KiB of its lines, with a line saying how many bytes between them "
                        + "were dropped, secrets redacted. Without --attempt, the stage's newest attempt. While the "
                        + "attempt runs, its log is saved every few seconds and a note on standard error says it "
                        + "goes on: run the command again for more.")
                        .usage("logs RUN STAGE [--attempt N]")
                        .option("--attempt N", "which attempt, 1 for the first (default: the newest)")
                        .example("lmforge logs run-20261207-0001 pretrain")
                        .example("lmforge logs run-20261207-0001 pretrain --attempt 1"), (a, out, err) -> {
                    a.allowOnly("attempt");
                    String runId = a.positional(0, "RUN");
                    String stage = a.positional(1, "STAGE");
                    long attempt = a.getLong("attempt", 0);
                    if (a.has("attempt") && attempt < 1) {
                        throw new Args.UsageException("--attempt: an attempt number, 1 or more, got " + a.get("attempt", ""));
                    }
                    if (attempt == 0) {
                        attempt = newestAttempt(call("GET", "/api/runs/" + encode(runId),
                                HttpRequest.BodyPublishers.noBody(), null), stage);
                    }
                    HttpResponse<String> log = send(request("GET", "/api/runs/" + encode(runId) + "/stages/"
                                    + encode(stage) + "/attempts/" + attempt + "/log", HttpRequest.BodyPublishers.noBody(),
                                    null).header("Accept", "text/plain, application/problem+json").build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (log.statusCode() >= 400) {
                        throw problem(log.statusCode(), log.body());
                    }
                    out.print(log.body());
                    if (!log.headers().firstValue("X-Lmforge-Log-Complete").orElse("true").equals("true")) {
                        err.println("(attempt " + attempt + " of " + stage + " is still running; its log goes on)");
                    }
                    return 0;
                }));
    }

    /** The number of the newest attempt of {@code stage} in a run view; an error naming the run's stages if none. */
    static long newestAttempt(JsonNode run, String stage) {
        List<String> stages = new ArrayList<>();
        for (JsonNode s : run.path("stages")) {
            stages.add(s.path("stage").asText());
            if (s.path("stage").asText().equals(stage)) {
                long newest = 0;
                for (JsonNode attempt : s.path("attempts")) {
                    newest = Math.max(newest, attempt.path("attempt").asLong());
                }
                if (newest == 0) {
                    throw new IllegalStateException("stage " + stage + " of run " + run.path("id").asText()
                            + " has no attempt yet");
                }
                return newest;
            }
        }
        throw new IllegalStateException("run " + run.path("id").asText() + " has no stage '" + stage + "'; its stages: "
                + (stages.isEmpty() ? "none" : String.join(", ", stages)));
    }

    /**
     * The runs page as a table with a header: id, status, name, team, creation time in {@code zone}, and duration
     * (to {@code now}, marked {@code +}, for a run still going; {@code -} before it started).
     */
    static String runsTable(JsonNode page, Instant now, ZoneId zone) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ID", "STATUS", "NAME", "TEAM", "CREATED", "DURATION"});
        for (JsonNode r : page.path("items")) {
            Instant started = instant(r.path("startedAt"));
            Instant ended = instant(r.path("endedAt"));
            Instant created = instant(r.path("createdAt"));
            String duration = started == null ? "-" : ended == null ? duration(Duration.between(started, now)) + "+"
                    : duration(Duration.between(started, ended));
            rows.add(new String[] {r.path("id").asText(), r.path("status").asText(), r.path("name").asText(),
                    r.path("team").asText("-"), created == null ? "-" : CREATED.format(created.atZone(zone)), duration});
        }
        int[] width = new int[6];
        rows.forEach(row -> {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        });
        StringBuilder table = new StringBuilder();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(i == row.length - 1 ? row[i] : String.format("%-" + width[i] + "s  ", row[i]));
            }
            table.append(line.toString().stripTrailing()).append('\n');
        }
        long total = page.path("total").asLong();
        long offset = page.path("offset").asLong();
        int shown = page.path("items").size();
        if (shown == total) {
            table.append(total).append(" run(s)\n");
        } else {
            table.append("runs ").append(shown == 0 ? "none" : (offset + 1) + "-" + (offset + shown)).append(" of ")
                    .append(total).append(offset + shown < total ? " (--offset " + (offset + shown) + " for more)" : "")
                    .append('\n');
        }
        return table.toString();
    }

    /** {@code 45s}, {@code 3m 05s}, {@code 2h 07m}, {@code 3d 04h}. */
    static String duration(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm %02ds", s / 60, s % 60);
        }
        if (s < 86_400) {
            return String.format(Locale.ROOT, "%dh %02dm", s / 3600, s % 3600 / 60);
        }
        return String.format(Locale.ROOT, "%dd %02dh", s / 86_400, s % 86_400 / 3600);
    }

    private static Instant instant(JsonNode node) {
        return node.isTextual() ? Instant.parse(node.asText()) : null;
    }

    /**
     * A lineage graph as an indented tree from {@code root}: each artifact (kind, digest prefix, the name it had
     * where it was made or used), under it the stages that made it ({@code up}) or used it ({@code down}), and
     * under each stage the artifacts it used or made. A stage reached again is shown once, then referred to.
     */
    static String lineageTree(JsonNode graph, String root, boolean up) {
        Map<String, JsonNode> artifacts = new HashMap<>();
        graph.path("artifacts").forEach(a -> artifacts.put(a.path("digest").asText(), a));
        Map<Long, JsonNode> stages = new HashMap<>();
        graph.path("stages").forEach(s -> stages.put(s.path("id").asLong(), s));
        StringBuilder tree = new StringBuilder();
        walkArtifact(graph, artifacts, stages, root, "", up, 0, new HashSet<>(), tree);
        return tree.toString();
    }

    private static void walkArtifact(JsonNode graph, Map<String, JsonNode> artifacts, Map<Long, JsonNode> stages,
                                     String digest, String name, boolean up, int depth, Set<Long> shown, StringBuilder tree) {
        JsonNode a = artifacts.get(digest);
        tree.append("  ".repeat(depth * 2)).append(a == null ? "artifact" : a.path("kind").asText("artifact"))
                .append(" sha256:").append(digest, 0, Math.min(12, digest.length()))
                .append(name.isEmpty() ? "" : "  (" + name + ")").append('\n');
        // Up: the stages that produced it. Down: the stages that consumed it.
        for (JsonNode e : graph.path("edges")) {
            if (!e.path("artifact").asText().equals(digest) || !e.path("direction").asText().equals(up ? "produced" : "consumed")) {
                continue;
            }
            long stageId = e.path("stageId").asLong();
            JsonNode s = stages.get(stageId);
            String indent = "  ".repeat(depth * 2 + 1);
            String stage = (up ? "<- " : "-> ") + (s == null ? "stage " + stageId : s.path("stage").asText() + " of "
                    + s.path("runId").asText() + " (" + s.path("status").asText() + (s.hasNonNull("reusedFrom")
                    ? ", reused stage " + s.path("reusedFrom").asLong() : "") + ")");
            if (!shown.add(stageId)) {
                tree.append(indent).append(stage).append(" ... shown above\n");
                continue;
            }
            tree.append(indent).append(stage).append('\n');
            for (JsonNode next : graph.path("edges")) {
                if (next.path("stageId").asLong() == stageId && next.path("direction").asText().equals(up ? "consumed" : "produced")) {
                    walkArtifact(graph, artifacts, stages, next.path("artifact").asText(), next.path("name").asText(""),
                            up, depth + 1, shown, tree);
                }
            }
        }
    }

    /**
     * A digest from {@code ref}: 64 hex characters (with or without {@code sha256:}), or {@code RUN:NAME} /
     * {@code RUN:STAGE/NAME} looked up among the run's stage outputs.
     */
    static String resolve(String ref) throws Exception {
        String bare = ref.startsWith("sha256:") ? ref.substring(7) : ref;
        if (bare.matches("[0-9a-f]{64}")) {
            return bare;
        }
        int colon = ref.indexOf(':');
        if (colon <= 0 || colon == ref.length() - 1) {
            throw new Args.UsageException("'" + ref + "' is neither a SHA-256 digest (64 lower-case hex characters) "
                    + "nor RUN:NAME");
        }
        String runId = ref.substring(0, colon);
        JsonNode run = call("GET", "/api/runs/" + encode(runId), HttpRequest.BodyPublishers.noBody(), null);
        return outputOf(run, ref.substring(colon + 1));
    }

    /** The digest of output {@code name} ({@code NAME} or {@code STAGE/NAME}) among the run view's stage outputs. */
    static String outputOf(JsonNode run, String name) {
        int slash = name.indexOf('/');
        String stage = slash < 0 ? null : name.substring(0, slash);
        String output = slash < 0 ? name : name.substring(slash + 1);
        Map<String, String> found = new LinkedHashMap<>();
        List<String> all = new ArrayList<>();
        for (JsonNode s : run.path("stages")) {
            s.path("outputs").properties().forEach(o -> {
                all.add(s.path("stage").asText() + "/" + o.getKey());
                if (o.getKey().equals(output) && (stage == null || stage.equals(s.path("stage").asText()))) {
                    found.put(s.path("stage").asText(), o.getValue().asText());
                }
            });
        }
        String runId = run.path("id").asText();
        if (found.isEmpty()) {
            throw new IllegalStateException("run " + runId + " has no output '" + name + "'; its outputs: "
                    + (all.isEmpty() ? "none yet" : String.join(", ", all)));
        }
        if (found.size() > 1) {
            throw new IllegalStateException("run " + runId + " has an output '" + output + "' in stages "
                    + found.keySet() + "; name one: " + runId + ":STAGE/" + output);
        }
        return found.values().iterator().next();
    }

    /**
     * Streams the artifact into a temporary file beside its destination, checks its SHA-256, then moves it into
     * place: a download cut short or corrupted never leaves a file under the destination's name.
     */
    private static Path download(String digest, String out, boolean force) throws Exception {
        HttpResponse<InputStream> response = send(request("GET", "/api/artifacts/" + digest + "/content",
                HttpRequest.BodyPublishers.noBody(), null).header("Accept", "application/octet-stream, application/problem+json").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() >= 400) {
            try (InputStream body = response.body()) {
                throw problem(response.statusCode(), new String(body.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        String fileName = response.headers().firstValue("Content-Disposition").map(RunCommands::attachmentName)
                .orElse("artifact-" + digest.substring(0, 12));
        // A folder as --out, existing or not yet (written with a trailing '/'), gets the server's file name.
        Path target = out == null ? Path.of(fileName)
                : out.endsWith("/") || Files.isDirectory(Path.of(out)) ? Path.of(out).resolve(fileName) : Path.of(out);
        if (Files.exists(target) && !force) {
            throw new IllegalStateException(target + " exists; give --force to replace it, or --out another path");
        }
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path partial = Files.createTempFile(dir, ".lmforge-download-", ".part");
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            try (InputStream in = response.body(); OutputStream file = Files.newOutputStream(partial)) {
                byte[] buffer = new byte[1 << 16];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    sha.update(buffer, 0, n);
                    file.write(buffer, 0, n);
                }
            }
            String got = HexFormat.of().formatHex(sha.digest());
            if (!got.equals(digest)) {
                throw new IllegalStateException("the download of sha256:" + digest + " came out as sha256:" + got
                        + " (cut short, or corrupt); nothing was saved");
            }
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    /**
     * The file name of {@code attachment; filename="NAME"}, kept to letters, digits, '.', '_' and '-' and never
     * starting with '.', so that a server's answer cannot name a path elsewhere or a hidden file.
     */
    static String attachmentName(String contentDisposition) {
        Matcher m = Pattern.compile("filename=\"([^\"]*)\"").matcher(contentDisposition);
        String name = m.find() ? m.group(1).replaceAll("[^A-Za-z0-9._-]", "_").replaceAll("^[.]+", "") : "";
        return name.isEmpty() ? "artifact" : name.substring(0, Math.min(100, name.length()));
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
        call("POST", "/api/runs/" + encode(id) + "/" + action, HttpRequest.BodyPublishers.noBody(), null);
        out.println(action + " sent to run " + id);
        return 0;
    }

    /** Prints stage changes until the run ends; exit code 0 only when it succeeded. */
    private static int follow(String runId, PrintStream out) throws Exception {
        String last = "";
        while (true) {
            JsonNode run = call("GET", "/api/runs/" + encode(runId), HttpRequest.BodyPublishers.noBody(), null);
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
        Set<String> collected = new HashSet<>();
        run.path("collectedOutputs").forEach(d -> collected.add(d.asText()));
        for (JsonNode s : run.path("stages")) {
            out.printf("  %-14s %-11s attempts=%d%s%n", s.path("stage").asText(), s.path("status").asText(),
                    s.path("attempts").size(), s.hasNonNull("reusedFrom") ? " reused stage " + s.path("reusedFrom").asText() : "");
            for (JsonNode at : s.path("attempts")) {
                out.printf("      #%d %-9s on %s%s%n", at.path("attempt").asInt(), at.path("status").asText(),
                        at.path("worker").asText(), at.hasNonNull("resumedFromCheckpoint") ? " (resumed from checkpoint)" : "");
            }
            s.path("outputs").fields().forEachRemaining(e -> out.println("      -> " + e.getKey() + " sha256:" + e.getValue().asText()
                    + (collected.contains(e.getValue().asText()) ? " (removed by gc)" : "")));
        }
    }

    static JsonNode call(String method, String path, HttpRequest.BodyPublisher body, String contentType) throws Exception {
        HttpResponse<String> response = send(request(method, path, body, contentType).header("Accept", "application/json").build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 400) {
            throw problem(response.statusCode(), response.body());
        }
        return response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
    }

    private static HttpRequest.Builder request(String method, String path, HttpRequest.BodyPublisher body, String contentType)
            throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl() + path)).method(method, body)
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + token());
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return request;
    }

    private static <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws Exception {
        try {
            return HttpClient.newHttpClient().send(request, handler);
        } catch (java.net.ConnectException e) {
            throw new IllegalStateException("no lmforge at " + baseUrl() + " (start one with './lmforge up', or set LMFORGE_URL)");
        }
    }

    /** An error answer as one line: status, title and the problem's detail. */
    private static IllegalStateException problem(int status, String body) throws IOException {
        JsonNode problem = body.isBlank() ? JSON.nullNode() : JSON.readTree(body);
        return new IllegalStateException(status + " " + problem.path("title").asText("") + ": "
                + problem.path("detail").asText(body));
    }

    private static String baseUrl() {
        return System.getenv().getOrDefault("LMFORGE_URL", "http://127.0.0.1:8080");
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static String pretty(JsonNode node) throws IOException {
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n";
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

    private static Command command(String name, String summary, Help help, Body body) {
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
            public Help help() {
                return help;
            }

            @Override
            public int run(Args args, PrintStream out, PrintStream err) throws Exception {
                return body.run(args, out, err);
            }
        };
    }
}
