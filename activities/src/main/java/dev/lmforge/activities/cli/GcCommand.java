package dev.lmforge.activities.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code lmforge gc}: the running lmforge's garbage collection ({@code POST /api/admin/gc}), and
 * {@code lmforge gc retention TEAM} to read or set how many of a team's runs it keeps. An admin's token.
 */
final class GcCommand implements Command {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String name() {
        return "gc";
    }

    @Override
    public String summary() {
        return "remove what no retained run needs from the artifact store: [--dry-run] [--grace-minutes N]; "
                + "retention TEAM [--keep-runs N] [--keep-days D] [--keep-all]";
    }

    @Override
    public Help help() {
        return Help.of("Removes from the artifact store what no retained run needs: intermediates of ended stages, "
                + "artifacts only runs dropped by their team's retention refer to, unrecorded objects and abandoned "
                + "uploads older than the grace period; never what a kept run's lineage reaches or a running stage "
                + "wrote. Prints what goes, per reason and object. 'gc retention TEAM' shows or sets how many of a "
                + "team's runs are kept (default: all). Admins only.")
                .usage("gc [--dry-run] [--grace-minutes N] [--json]")
                .usage("gc retention TEAM [--keep-runs N] [--keep-days D] [--keep-all]")
                .option("--dry-run", "only print what would go; delete nothing")
                .option("--grace-minutes N", "only objects older than N minutes go (default the server's, 1440)")
                .option("--json", "the API's report as JSON")
                .option("--keep-runs N", "keep the team's newest N runs")
                .option("--keep-days D", "keep the team's runs younger than D days (with --keep-runs: either keeps a run)")
                .option("--keep-all", "keep every run of the team again")
                .example("lmforge gc --dry-run").example("lmforge gc --grace-minutes 60")
                .example("lmforge gc retention research --keep-runs 10");
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        if (!args.positional().isEmpty() && args.positional().get(0).equals("retention")) {
            return retention(args, out);
        }
        args.allowOnly("dry-run", "grace-minutes", "json");
        if (!args.positional().isEmpty()) {
            throw new Args.UsageException("gc takes no arguments but 'retention', got '" + args.positional().get(0) + "'");
        }
        String query = "?dryRun=" + args.has("dry-run");
        if (args.has("grace-minutes")) {
            query += "&graceMinutes=" + args.getLong("grace-minutes", 0);
        }
        JsonNode report = RunCommands.call("POST", "/api/admin/gc" + query, HttpRequest.BodyPublishers.noBody(), null);
        out.print(args.has("json") ? JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report) + "\n" : report(report));
        return 0;
    }

    private static int retention(Args args, PrintStream out) throws Exception {
        args.allowOnly("keep-runs", "keep-days", "keep-all");
        String team = args.positional(1, "TEAM");
        String path = "/api/teams/" + URLEncoder.encode(team, StandardCharsets.UTF_8) + "/retention";
        JsonNode retention;
        if (args.has("keep-runs") || args.has("keep-days") || args.has("keep-all")) {
            if (args.has("keep-all") && (args.has("keep-runs") || args.has("keep-days"))) {
                throw new Args.UsageException("--keep-all keeps every run; it goes with neither --keep-runs nor --keep-days");
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("keepRuns", args.has("keep-runs") ? args.getLong("keep-runs", 0) : null);
            body.put("keepDays", args.has("keep-days") ? args.getLong("keep-days", 0) : null);
            retention = RunCommands.call("PUT", path, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)),
                    "application/json");
        } else {
            retention = RunCommands.call("GET", path, HttpRequest.BodyPublishers.noBody(), null);
        }
        out.println(describe(retention));
        return 0;
    }

    /** A team's retention in words. */
    static String describe(JsonNode retention) {
        JsonNode runs = retention.path("keepRuns");
        JsonNode days = retention.path("keepDays");
        String team = "team " + retention.path("team").asText() + " keeps ";
        if (runs.isNull() && days.isNull()) {
            return team + "every run";
        }
        return team + (runs.isNull() ? "" : "its newest " + runs.asLong() + " runs")
                + (!runs.isNull() && !days.isNull() ? " and " : "")
                + (days.isNull() ? "" : "its runs younger than " + days.asLong() + " days");
    }

    /** The report as printed: the totals, each reason's share, then each object that goes. */
    static String report(JsonNode report) {
        StringBuilder sb = new StringBuilder();
        boolean dry = report.path("dryRun").asBoolean();
        sb.append(String.format(Locale.ROOT, "%s %d of %d objects (%s of %s), older than %d minutes%n",
                dry ? "would remove" : "removed", dry ? report.path("planned").asLong() : report.path("deleted").asLong(),
                report.path("objectsListed").asLong(), bytes(dry ? report.path("bytesPlanned").asLong()
                        : report.path("bytesDeleted").asLong()), bytes(report.path("bytesListed").asLong()),
                report.path("graceMinutes").asLong()));
        if (report.path("droppedRuns").size() > 0) {
            sb.append("runs dropped by retention:");
            report.path("droppedRuns").forEach(r -> sb.append(' ').append(r.asText()));
            sb.append('\n');
        }
        report.path("byReason").fields().forEachRemaining(e -> sb.append(String.format(Locale.ROOT,
                "  %-48s %6d objects %10s%n", e.getKey(), e.getValue().path("objects").asLong(),
                bytes(e.getValue().path("bytes").asLong()))));
        for (JsonNode o : report.path("objects")) {
            String what = o.hasNonNull("digest") ? "sha256:" + o.path("digest").asText().substring(0, 12) : o.path("key").asText();
            String writer = o.hasNonNull("runId") ? o.path("runId").asText() + (o.hasNonNull("stage") ? "/" + o.path("stage").asText() : "") : "";
            sb.append(String.format(Locale.ROOT, "    %-24s %-12s %10s  %-32s %s%n", what, o.path("kind").asText("-"),
                    bytes(o.path("sizeBytes").asLong()), writer, o.path("reason").asText()));
        }
        long planned = report.path("planned").asLong();
        if (planned > report.path("objects").size()) {
            sb.append("    ... and ").append(planned - report.path("objects").size()).append(" more\n");
        }
        if (dry) {
            sb.append("dry run: nothing was deleted\n");
        } else if (report.path("deleted").asLong() < planned) {
            sb.append(planned - report.path("deleted").asLong()).append(" planned objects were written again since the plan and stay\n");
        }
        return sb.toString();
    }

    private static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int i = -1;
        while (v >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[i]);
    }
}
