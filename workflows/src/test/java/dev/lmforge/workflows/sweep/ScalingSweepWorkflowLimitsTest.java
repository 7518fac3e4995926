package dev.lmforge.workflows.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lmforge.workflows.spec.LifecycleSpec;
import dev.lmforge.workflows.spec.SpecValidator;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.CorpusSource;
import io.temporal.api.history.v1.History;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The widest sweep the spec validator lets through stays inside what a real Temporal server enforces and the
 * in-memory test server does not: at most 51,200 events in the sweep's history, and no payload over 2 MB (the
 * largest is a kind's design, every probe's plan in one activity result). The fake activities (in memory) give each
 * probe a plan of the size the planner writes (about 2.3 KB of JSON for a toy probe, measured with
 * {@code lmforge plan budget --json}).
 */
class ScalingSweepWorkflowLimitsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int EVENT_LIMIT = 51_200;
    private static final int PAYLOAD_LIMIT = 2 * 1024 * 1024;
    private static final int PLAN_BYTES = 2_300;

    private TestWorkflowEnvironment env;

    @BeforeEach
    void start() {
        env = TestWorkflowEnvironment.newInstance();
        env.newWorker("cpu").registerWorkflowImplementationTypes(ScalingSweepWorkflowImpl.class);
        env.newWorker("cpu").registerActivitiesImplementations(new InMemorySweep());
        env.start();
    }

    @AfterEach
    void stop() {
        env.close();
    }

    @Test
    void theWidestValidSweepStaysUnderTheRealServersHistoryAndPayloadLimits() {
        List<Double> budgets = List.of(1e9, 2e9, 3e9, 4e9, 5e9, 6e9, 7e9, 8e9);
        SweepOptions widest = new SweepOptions(SweepOptions.BOTH, budgets, 50, null, 10, 6, null, null, null, null,
                null, null);
        LifecycleSpec spec = new LifecycleSpec("wide", null, List.of("data", "tokenizer", "plan"),
                new LifecycleSpec.Corpus(List.of(new CorpusSource("samples/corpus", null, null, null))), null,
                new LifecycleSpec.Compute(1e15, null), null, new LifecycleSpec.PlanOptions(null, null, widest), null,
                null, null, null, null);
        assertEquals(List.of(), SpecValidator.validate(spec), "the sweep under test must be one the validator accepts");

        ScalingSweepWorkflow sweep = env.getWorkflowClient().newWorkflowStub(ScalingSweepWorkflow.class,
                WorkflowOptions.newBuilder().setTaskQueue("cpu").setWorkflowId("widest-sweep").build());
        SweepOutcome outcome = sweep.run(new SweepInput("run-1", "plan", widest, null, null,
                new ArtifactRef("tokens", "tokens", 1), "cpu"));
        assertEquals(8 * 60 + 8 * 50, outcome.summary().get("sweep.probes"), 0.0);

        History history = env.getWorkflowClient().fetchHistory("widest-sweep").getHistory();
        int largest = history.getEventsList().stream().mapToInt(HistoryEvent::getSerializedSize).max().orElse(0);
        System.out.printf("widest valid sweep: %d probes, %d history events (limit %d), largest event %d bytes (limit %d)%n",
                outcome.summary().get("sweep.probes").intValue(), history.getEventsCount(), EVENT_LIMIT, largest,
                PAYLOAD_LIMIT);
        assertTrue(history.getEventsCount() < EVENT_LIMIT, "the widest sweep's history has "
                + history.getEventsCount() + " events; a real server fails a workflow at " + EVENT_LIMIT);
        assertTrue(largest < PAYLOAD_LIMIT, "the widest sweep's largest event is " + largest
                + " bytes; a real server refuses payloads over " + PAYLOAD_LIMIT);
    }

    /** A design of the options' width, plans of the planner's size, and results of the usual shape. */
    private static final class InMemorySweep implements SweepActivities {

        @Override
        public List<SweepProbe> designProbes(SweepInput input, String kind, List<ProbeResult> grid) {
            SweepOptions o = input.options();
            int perBudget = kind.equals(SweepOptions.ISOFLOP) ? o.splits() : o.batchSizes() * o.learningRates();
            List<SweepProbe> probes = new ArrayList<>();
            for (double budget : o.budgets()) {
                for (int i = 0; i < perBudget; i++) {
                    ObjectNode plan = JSON.createObjectNode().put("compute", budget).put("index", probes.size());
                    plan.put("notes", "x".repeat(PLAN_BYTES - plan.toString().length()));
                    probes.add(new SweepProbe(kind, probes.size(), budget, plan));
                }
            }
            return probes;
        }

        @Override
        public ProbeResult runProbe(SweepInput input, SweepProbe probe) {
            return new ProbeResult(probe.kind(), probe.index(), probe.compute(), 1.2e6, 8_900_000, 5_248,
                    0.0073943214253042, 1_385, 4.123456789, 4.01234567, 0.87654321, false, 12.345678);
        }

        @Override
        public SweepOutcome fitSweep(SweepInput input, List<ProbeResult> results) {
            return new SweepOutcome(new ArtifactRef("fit", ScalingSweepWorkflow.SCALING_FIT_KIND, 1),
                    Map.of("sweep.probes", (double) results.size()));
        }
    }
}
