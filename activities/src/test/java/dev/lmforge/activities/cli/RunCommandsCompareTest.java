package dev.lmforge.activities.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunCommandsCompareTest {

    @Test
    void theScoreTableHasARowPerFigureAndAColumnPerRunWithGapsMarked() throws Exception {
        JsonNode runs = new ObjectMapper().readTree("""
                [{"id": "run-a", "evaluations": [
                   {"stage": "evaluate-base", "task": "arithmetic", "metric": "acc", "value": 0.75, "stderr": 0.03},
                   {"stage": "evaluate-base", "task": "held-out", "metric": "bits_per_byte", "value": 1.1, "stderr": null}]},
                 {"id": "run-b", "evaluations": [
                   {"stage": "evaluate-base", "task": "arithmetic", "metric": "acc", "value": 0.5, "stderr": 0.04}]}]
                """);
        List<String> lines = RunCommands.scoreTable(runs).lines().toList();
        assertEquals(3, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).startsWith("stage  task  metric") && lines.get(0).contains("run-a") && lines.get(0).contains("run-b"));
        assertTrue(lines.get(1).matches("evaluate-base  arithmetic  acc\\s+\\|\\s+0\\.7500 ±0\\.0300 \\|\\s+0\\.5000 ±0\\.0400"), lines.get(1));
        assertTrue(lines.get(2).matches("evaluate-base  held-out  bits_per_byte\\s+\\|\\s+1\\.1000 \\|\\s+-"), lines.get(2));
        assertEquals(lines.get(0).length(), lines.get(1).length(), "columns line up");
    }

    @Test
    void compareNeedsTwoRuns() {
        Command compare = RunCommands.all().stream().filter(c -> c.name().equals("compare")).findFirst().orElseThrow();
        PrintStream sink = new PrintStream(new ByteArrayOutputStream());
        Args.UsageException e = assertThrows(Args.UsageException.class,
                () -> compare.run(Args.parse(List.of("run-a")), sink, sink));
        assertTrue(e.getMessage().contains("at least two runs"), e.getMessage());
    }
}
