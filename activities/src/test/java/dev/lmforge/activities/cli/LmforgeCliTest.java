package dev.lmforge.activities.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The command line's own behaviour, without a server: help for every command, the version, one error prefix, and
 * the text the network commands make of the API's answers (runs table, lineage tree, output names).
 */
class LmforgeCliTest {

    private record Result(int code, String out, String err) {
    }

    private static Result run(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = LmforgeCli.standard().run(Arrays.asList(argv), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Every command as typed: {@code bench data}, {@code plan}, ..., and the launcher's server commands. */
    private static List<String> everyCommand() {
        List<String> all = new ArrayList<>(LmforgeCli.standard().commands().keySet());
        all.addAll(LmforgeCli.SERVER_COMMANDS.keySet());
        return all.stream().map(n -> n.replace("bench-", "bench ")).toList();
    }

    @Test
    void everyCommandHasHelpWithUsageOptionsAndExamples() {
        for (String command : everyCommand()) {
            List<String> words = new ArrayList<>(List.of(command.split(" ")));
            words.add("--help");
            Result r = run(words.toArray(String[]::new));
            assertEquals(0, r.code(), command + ": " + r.err());
            assertTrue(r.out().startsWith("usage: lmforge " + command), command + ":\n" + r.out());
            assertTrue(r.out().contains("\nexamples:\n  "), command + " has no examples:\n" + r.out());
            Help help = command.contains(" ") || LmforgeCli.SERVER_COMMANDS.containsKey(command)
                    ? helpOf(command) : LmforgeCli.standard().commands().get(command).help();
            String description = r.out().split("\n\n")[1];
            assertTrue(description.lines().allMatch(l -> l.length() <= 100), command + ": the description is wrapped");
            // Every option a usage line names is explained.
            for (String usage : help.usage()) {
                Matcher m = Pattern.compile("--[a-z][a-z-]*").matcher(usage);
                while (m.find()) {
                    String option = m.group();
                    assertTrue(help.options().stream().anyMatch(o -> o.spelling().matches(".*" + option + "\\b.*")),
                            command + ": " + option + " is in the usage but not explained");
                }
            }
            assertEquals(r.out(), run(("help " + command).split(" ")).out(), command + ": 'help COMMAND' prints the same");
        }
    }

    private static Help helpOf(String command) {
        String key = command.replace(" ", "-");
        return LmforgeCli.SERVER_COMMANDS.containsKey(key) ? LmforgeCli.SERVER_COMMANDS.get(key)
                : LmforgeCli.standard().commands().get(key).help();
    }

    @Test
    void helpOfASubcommandAndHelpBeforeAnythingElse() {
        Result sub = run("plan", "model", "--help");
        assertEquals(0, sub.code());
        assertTrue(sub.out().contains("plan model --layers L"), sub.out());
        // --help wins over missing arguments, and runs nothing: 'run' would need a spec and a server.
        Result first = run("run", "--help");
        assertEquals(0, first.code());
        assertEquals("", first.err());
        // After a bare --, it is an argument like any other.
        Result literal = run("compare", "--", "--help");
        assertEquals(2, literal.code());
        Result list = run("help");
        assertEquals(0, list.code());
        for (String command : everyCommand()) {
            assertTrue(list.out().contains("  " + command + " "), "the list names " + command);
        }
        assertEquals(2, run().code(), "no command at all is a usage error");
    }

    @Test
    void versionIsTheMavenProjectVersion() throws Exception {
        String pom = Files.readString(Path.of("pom.xml"));
        Matcher parent = Pattern.compile("<parent>.*?<version>([^<]+)</version>", Pattern.DOTALL).matcher(pom);
        assertTrue(parent.find());
        Result r = run("--version");
        assertEquals(0, r.code());
        assertEquals("lmforge " + parent.group(1) + "\n", r.out());
    }

    @Test
    void everyErrorIsPrefixedOnceByItsCommand() {
        for (String command : everyCommand()) {
            if (LmforgeCli.SERVER_COMMANDS.containsKey(command.replace(" ", "-"))) {
                continue;
            }
            List<String> words = new ArrayList<>(List.of(command.split(" ")));
            words.add("--no-such-option");
            Result r = run(words.toArray(String[]::new));
            assertTrue(r.code() == 1 || r.code() == 2, command + " exits " + r.code());
            String name = command.split(" ")[command.split(" ").length - 1];
            assertTrue(r.err().startsWith("lmforge " + command + ": "), command + ": " + r.err());
            assertFalse(r.err().contains(name + ": " + name + ":"), command + " repeats its prefix: " + r.err());
        }
        Result compare = run("compare", "run-1");
        assertEquals(2, compare.code());
        assertEquals("lmforge compare: name at least two runs (RUN RUN...), got 1; 'lmforge compare --help' shows the usage\n",
                compare.err());
        assertEquals(2, run("eval", "compare", "run-1").code());
        assertTrue(run("eval", "compare", "run-1").err().startsWith("lmforge compare: name at least"));
        assertTrue(run("nope").err().startsWith("lmforge: unknown command 'nope'"));
    }

    @Test
    void logsNamesTheStageAndAnAttemptNumber() throws Exception {
        Result noStage = run("logs", "run-1");
        assertEquals(2, noStage.code());
        assertTrue(noStage.err().startsWith("lmforge logs: missing STAGE"), noStage.err());
        Result zero = run("logs", "run-1", "pretrain", "--attempt", "0");
        assertEquals(2, zero.code());
        assertTrue(zero.err().startsWith("lmforge logs: --attempt: an attempt number, 1 or more"), zero.err());
        assertTrue(run("logs", "--help").out().contains("--attempt N"));
        JsonNode view = JSON.readTree("""
                {"id": "run-1", "stages": [{"stage": "data", "attempts": [{"attempt": 1}]},
                  {"stage": "pretrain", "attempts": [{"attempt": 1}, {"attempt": 3}, {"attempt": 2}]},
                  {"stage": "evaluate", "attempts": []}]}""");
        assertEquals(3, RunCommands.newestAttempt(view, "pretrain"));
        assertEquals("stage evaluate of run run-1 has no attempt yet", assertThrows(IllegalStateException.class,
                () -> RunCommands.newestAttempt(view, "evaluate")).getMessage());
        assertEquals("run run-1 has no stage 'align'; its stages: data, pretrain, evaluate",
                assertThrows(IllegalStateException.class, () -> RunCommands.newestAttempt(view, "align")).getMessage());
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void runsTableHasAHeaderTimesAndDurations() throws Exception {
        JsonNode page = JSON.readTree("""
                {"items": [
                  {"id": "run-2", "status": "RUNNING", "name": "long-name-here", "team": "blue",
                   "createdAt": "2026-12-07T10:00:00Z", "startedAt": "2026-12-07T10:00:05Z", "endedAt": null},
                  {"id": "run-1", "status": "SUCCEEDED", "name": "demo", "team": null,
                   "createdAt": "2026-12-06T09:00:00Z", "startedAt": "2026-12-06T09:00:00Z", "endedAt": "2026-12-06T11:07:30Z"},
                  {"id": "run-0", "status": "QUEUED", "name": "q", "team": "red",
                   "createdAt": "2026-12-06T08:00:00Z", "startedAt": null, "endedAt": null}],
                 "total": 7, "limit": 3, "offset": 0}""");
        String table = RunCommands.runsTable(page, Instant.parse("2026-12-07T10:03:10Z"), ZoneOffset.UTC);
        assertEquals("""
                ID     STATUS     NAME            TEAM  CREATED              DURATION
                run-2  RUNNING    long-name-here  blue  2026-12-07 10:00:00  3m 05s+
                run-1  SUCCEEDED  demo            -     2026-12-06 09:00:00  2h 07m
                run-0  QUEUED     q               red   2026-12-06 08:00:00  -
                runs 1-3 of 7 (--offset 3 for more)
                """, table);
        String last = RunCommands.runsTable(JSON.readTree("{\"items\": [], \"total\": 7, \"limit\": 3, \"offset\": 9}"),
                Instant.EPOCH, ZoneOffset.UTC);
        assertEquals("ID  STATUS  NAME  TEAM  CREATED  DURATION\nruns none of 7\n", last);
        assertEquals("45s", RunCommands.duration(Duration.ofSeconds(45)));
        assertEquals("3d 04h", RunCommands.duration(Duration.ofHours(76)));
    }

    private static final String RAW = "a".repeat(64);
    private static final String SHARDS = "b".repeat(64);
    private static final String MODEL = "c".repeat(64);

    private static JsonNode graph() throws Exception {
        return JSON.readTree("""
                {"artifacts": [{"digest": "%1$s", "kind": "source"}, {"digest": "%2$s", "kind": "token-shards"},
                               {"digest": "%3$s", "kind": "checkpoint"}],
                 "stages": [{"id": 1, "runId": "run-1", "stage": "tokenizer", "status": "SUCCEEDED", "reusedFrom": null},
                            {"id": 2, "runId": "run-1", "stage": "pretrain", "status": "SUCCEEDED", "reusedFrom": null}],
                 "edges": [{"stageId": 1, "artifact": "%1$s", "direction": "consumed", "name": "corpus"},
                           {"stageId": 1, "artifact": "%2$s", "direction": "produced", "name": "shards"},
                           {"stageId": 2, "artifact": "%2$s", "direction": "consumed", "name": "shards"},
                           {"stageId": 2, "artifact": "%3$s", "direction": "produced", "name": "final-model"}]}
                """.formatted(RAW, SHARDS, MODEL));
    }

    @Test
    void lineageIsATreeUpOrDown() throws Exception {
        assertEquals("""
                checkpoint sha256:cccccccccccc
                  <- pretrain of run-1 (SUCCEEDED)
                    token-shards sha256:bbbbbbbbbbbb  (shards)
                      <- tokenizer of run-1 (SUCCEEDED)
                        source sha256:aaaaaaaaaaaa  (corpus)
                """, RunCommands.lineageTree(graph(), MODEL, true));
        assertEquals("""
                source sha256:aaaaaaaaaaaa
                  -> tokenizer of run-1 (SUCCEEDED)
                    token-shards sha256:bbbbbbbbbbbb  (shards)
                      -> pretrain of run-1 (SUCCEEDED)
                        checkpoint sha256:cccccccccccc  (final-model)
                """, RunCommands.lineageTree(graph(), RAW, false));
    }

    @Test
    void anArtifactIsNamedByDigestOrByARunsOutput() throws Exception {
        assertEquals(RAW, RunCommands.resolve("sha256:" + RAW));
        assertEquals(RAW, RunCommands.resolve(RAW));
        assertThrows(Args.UsageException.class, () -> RunCommands.resolve("not-a-digest"));
        JsonNode run = JSON.readTree("""
                {"id": "run-1", "stages": [
                  {"stage": "tokenizer", "outputs": {"tokenizer": "%1$s", "report": "%2$s"}},
                  {"stage": "pretrain", "outputs": {"final-model": "%3$s", "report": "%1$s"}}]}
                """.formatted(RAW, SHARDS, MODEL));
        assertEquals(MODEL, RunCommands.outputOf(run, "final-model"));
        assertEquals(SHARDS, RunCommands.outputOf(run, "tokenizer/report"));
        IllegalStateException twice = assertThrows(IllegalStateException.class, () -> RunCommands.outputOf(run, "report"));
        assertTrue(twice.getMessage().contains("run-1:STAGE/report"), twice.getMessage());
        IllegalStateException none = assertThrows(IllegalStateException.class, () -> RunCommands.outputOf(run, "nope"));
        assertTrue(none.getMessage().contains("tokenizer/tokenizer, tokenizer/report, pretrain/final-model"), none.getMessage());
    }

    @Test
    void aServersFileNameCannotLeaveTheFolder() {
        assertEquals("checkpoint-3fa2b1c4d5e6", RunCommands.attachmentName("attachment; filename=\"checkpoint-3fa2b1c4d5e6\""));
        assertEquals("_.._etc_passwd", RunCommands.attachmentName("attachment; filename=\"/../etc/passwd\""));
        assertEquals("bashrc", RunCommands.attachmentName("attachment; filename=\"..bashrc\""));
        assertEquals("artifact", RunCommands.attachmentName("attachment"));
    }
}
