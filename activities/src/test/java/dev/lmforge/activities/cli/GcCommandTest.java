package dev.lmforge.activities.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code lmforge gc} without a server: its usage errors and how it prints the API's report and retention. */
class GcCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aDryRunReportNamesEachObjectAndItsReasonAndSaysNothingWasDeleted() throws Exception {
        String report = GcCommand.report(JSON.readTree("""
                {"dryRun": true, "graceMinutes": 0, "objectsListed": 59, "bytesListed": 3145728,
                 "droppedRuns": ["run-1"], "planned": 2, "bytesPlanned": 2048,
                 "byReason": {"intermediate of an ended stage": {"objects": 1, "bytes": 1024},
                              "abandoned staging upload": {"objects": 1, "bytes": 1024}},
                 "deleted": 0, "bytesDeleted": 0,
                 "objects": [{"key": "artifacts/sha256/ab/abcdef0123456789", "digest": "abcdef0123456789", "kind": "band",
                              "sizeBytes": 1024, "reason": "intermediate of an ended stage", "runId": "run-1", "stage": "data"},
                             {"key": "staging/1234", "digest": null, "kind": null, "sizeBytes": 1024,
                              "reason": "abandoned staging upload", "runId": null, "stage": null}]}
                """));
        List<String> lines = report.lines().toList();
        assertEquals("would remove 2 of 59 objects (2.0 KiB of 3.0 MiB), older than 0 minutes", lines.get(0));
        assertEquals("runs dropped by retention: run-1", lines.get(1));
        assertTrue(report.contains("sha256:abcdef012345"), report);
        assertTrue(report.lines().anyMatch(l -> l.contains("band") && l.contains("run-1/data")
                && l.endsWith("intermediate of an ended stage")), report);
        assertTrue(report.lines().anyMatch(l -> l.contains("staging/1234") && l.endsWith("abandoned staging upload")), report);
        assertEquals("dry run: nothing was deleted", lines.get(lines.size() - 1));
    }

    @Test
    void retentionIsSaidInWords() throws Exception {
        assertEquals("team research keeps every run",
                GcCommand.describe(JSON.readTree("{\"team\":\"research\",\"keepRuns\":null,\"keepDays\":null}")));
        assertEquals("team research keeps its newest 3 runs and its runs younger than 7 days",
                GcCommand.describe(JSON.readTree("{\"team\":\"research\",\"keepRuns\":3,\"keepDays\":7}")));
    }

    @Test
    void usageErrorsAreRefusedBeforeAnyCall() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errors = new PrintStream(err, true, StandardCharsets.UTF_8);
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertEquals(2, LmforgeCli.standard().run(List.of("gc", "everything"), out, errors));
        assertEquals(2, LmforgeCli.standard().run(List.of("gc", "--force"), out, errors));
        assertEquals(2, LmforgeCli.standard().run(List.of("gc", "retention", "t", "--keep-all", "--keep-runs", "2"), out, errors));
        assertEquals(2, LmforgeCli.standard().run(List.of("gc", "retention"), out, errors));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--keep-all"), err.toString(StandardCharsets.UTF_8));
    }
}
