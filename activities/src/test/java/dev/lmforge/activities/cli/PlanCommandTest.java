package dev.lmforge.activities.cli;

import dev.lmforge.activities.model.BudgetPlan;
import dev.lmforge.activities.model.ModelScale;
import dev.lmforge.activities.model.ModelShape;
import dev.lmforge.activities.planning.BudgetPlanner;
import dev.lmforge.activities.planning.BudgetRequest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlanCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Runs {@code plan} with {@code words}; returns what it printed on stdout. */
    static String run(CommandUnderTest command, String... words) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = command.run(Args.parse(List.of(words)), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The command's {@code run}, so that the fit command's test can share {@link #run}. */
    @FunctionalInterface
    interface CommandUnderTest {
        int run(Args args, PrintStream out, PrintStream err) throws Exception;
    }

    private static String plan(String... words) throws Exception {
        return run(new PlanCommand()::run, words);
    }

    @Test
    void modelJsonIsTheModelScaleRecord() throws Exception {
        String json = plan("model", "--layers", "32", "--d-model", "4096", "--heads", "32", "--kv-heads", "32",
                "--seq", "4096", "--vocab", "102400", "--json");
        ModelScale expected = ModelScale.of(new ModelShape(32, 4096, 32, 32, 4096, 102_400));
        assertEquals(expected, JSON.readValue(json, ModelScale.class));
    }

    @Test
    void modelTextShowsTable3Figures() throws Exception {
        String text = plan("model", "--layers", "32", "--d-model", "4096", "--heads", "32");
        assertTrue(text.contains("M (Eq. 2)      45.1B FLOPs per token"), text);
        assertTrue(text.contains("N1, N2         6.44B, 6.86B"), text);
        assertTrue(text.contains("6N1/M, 6N2/M   0.857, 0.913"), text);
    }

    @Test
    void budgetJsonIsThePlannersPlan() throws Exception {
        String json = plan("budget", "--compute", "1e20", "--tokens", "1e10", "--seq", "2048", "--json");
        BudgetPlan expected = BudgetPlanner.plan(new BudgetRequest(1e20, 10_000_000_000L, 2048, null, null, null));
        assertEquals(expected, JSON.readValue(json, BudgetPlan.class));
    }

    @Test
    void budgetTextWithHardwareShowsWallTime() throws Exception {
        String text = plan("budget", "--compute", "1e13", "--vocab", "8192", "--throughput", "2e10",
                "--memory-gib", "4");
        assertTrue(text.contains("model          1 layer, d_model 128"), text);
        assertTrue(text.contains("wall time      47.0 min"), text);
        assertTrue(text.contains("micro-batches of 41 sequences, 1 per step"), text);
    }

    @Test
    void badUsageNamesTheValue() {
        assertUsage("heads 7 do not divide d_model 512", "model", "--layers", "2", "--d-model", "512", "--heads", "7");
        assertUsage("--layers must be a whole number, not '7.5'", "model", "--layers", "7.5", "--d-model", "512",
                "--heads", "8");
        assertUsage("missing --heads", "model", "--layers", "2", "--d-model", "512");
        assertUsage("compute budget (FLOPs) must be positive and finite, got -1.0", "budget", "--compute", "-1");
        assertUsage("compute budget (FLOPs) must be positive and finite, got Infinity", "budget", "--compute",
                "Infinity");
        assertUsage("missing --compute (the budget in FLOPs, e.g. 1e20)", "budget");
        assertUsage("give --throughput (sustained FLOP/s) and --memory-gib together", "budget", "--compute", "1e15",
                "--throughput", "1e10");
        assertUsage("unknown option --budget", "budget", "--budget", "1e15");
        assertUsage("unknown plan 'models': use 'model' or 'budget'", "models");
        assertUsage("missing what to plan: 'model' or 'budget'");
    }

    private static void assertUsage(String message, String... words) {
        Args.UsageException e = assertThrows(Args.UsageException.class, () -> plan(words));
        assertEquals(message, e.getMessage());
    }
}
