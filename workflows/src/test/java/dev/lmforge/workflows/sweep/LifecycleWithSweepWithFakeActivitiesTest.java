package dev.lmforge.workflows.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.workflows.LifecycleInput;
import dev.lmforge.workflows.LifecycleWorkflow;
import dev.lmforge.workflows.LifecycleWorkflowImpl;
import dev.lmforge.workflows.ledger.LedgerActivities;
import dev.lmforge.workflows.ledger.StageStart;
import dev.lmforge.workflows.spec.LifecycleSpec;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.Outputs;
import dev.lmforge.workflows.stage.PlanStage;
import dev.lmforge.workflows.stage.StageInput;
import dev.lmforge.workflows.stage.StageOutput;
import dev.lmforge.workflows.stage.TokenizerStage;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The plan stage's sweep wiring, with in-memory fake activities that name their outputs after their inputs: the
 * sweep runs as a child of the lifecycle on the tokenizer's tokens, the grid's results reach the IsoFLOP design,
 * every probe runs, and the fit reaches the plan activity as its {@code scaling-fit} input. The run's histories are
 * written to {@code target/histories/} (the replay test's resources were recorded so).
 */
class LifecycleWithSweepWithFakeActivitiesTest {

    static final String LIFECYCLE_ID = "lifecycle-with-sweep";
    private static final ObjectMapper JSON = new ObjectMapper();

    private TestWorkflowEnvironment env;
    private final List<String> calls = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void start() {
        env = TestWorkflowEnvironment.newInstance();
        Worker control = env.newWorker("control");
        control.registerWorkflowImplementationTypes(LifecycleWorkflowImpl.class, ScalingSweepWorkflowImpl.class);
        control.registerActivitiesImplementations(new FakeLedger());
        env.newWorker("cpu").registerActivitiesImplementations(new FakeTokenizer(), new FakePlan(), new FakeSweep());
        env.start();
    }

    @AfterEach
    void stop() {
        env.close();
    }

    @Test
    void theSweepRunsAsAChildAndItsFitIsThePlansInput() throws Exception {
        SweepOptions sweep = new SweepOptions(null, List.of(1e9, 3e9, 1e10), null, null, null, null, null, null,
                null, null, null, null);
        LifecycleSpec spec = new LifecycleSpec("t", null, List.of("tokenizer", "plan"), null, null,
                new LifecycleSpec.Compute(1e13, null), null, new LifecycleSpec.PlanOptions(64, null, sweep), null,
                null, null, null, null);
        LifecycleWorkflow lifecycle = env.getWorkflowClient().newWorkflowStub(LifecycleWorkflow.class,
                WorkflowOptions.newBuilder().setTaskQueue("control").setWorkflowId(LIFECYCLE_ID).build());
        assertEquals("SUCCEEDED", lifecycle.run(new LifecycleInput("run-1", spec, "cpu", "gpu")));

        List<String> expected = new ArrayList<>(List.of("tokenize",
                "design hyperparameters after []",
                "design isoflop after [hyperparameters-0, hyperparameters-1, hyperparameters-2]"));
        for (String kind : List.of("hyperparameters", "isoflop")) {
            for (int i = 0; i < 3; i++) {
                expected.add("probe " + kind + "-" + i + " on tokens-digest");
            }
        }
        expected.add("fit [hyperparameters-0, hyperparameters-1, hyperparameters-2, isoflop-0, isoflop-1, isoflop-2]");
        expected.add("plan [tokens, scaling-fit] fit=fit-digest");
        List<String> sorted = new ArrayList<>(calls);
        Collections.sort(sorted);
        Collections.sort(expected);
        assertEquals(expected, sorted);

        ScalingSweepWorkflow child = env.getWorkflowClient().newWorkflowStub(ScalingSweepWorkflow.class,
                SweepInput.workflowId(LIFECYCLE_ID));
        assertEquals(new SweepProgress("done", 6, 6), child.progress());

        Path histories = Files.createDirectories(Path.of("target/histories"));
        Files.writeString(histories.resolve("lifecycle-tokenizer-plan-sweep.json"),
                env.getWorkflowClient().fetchHistory(LIFECYCLE_ID).toJson(true));
        Files.writeString(histories.resolve("scaling-sweep-workflow.json"),
                env.getWorkflowClient().fetchHistory(SweepInput.workflowId(LIFECYCLE_ID)).toJson(true));
    }

    private final class FakeLedger implements LedgerActivities {
        private final AtomicLong rows = new AtomicLong();

        @Override
        public void runStatus(String runId, String status, String error) {
        }

        @Override
        public StageStart beginStage(String runId, String stage, JsonNode config, Map<String, ArtifactRef> inputs) {
            return new StageStart(rows.incrementAndGet(), "key-" + stage, null, null);
        }

        @Override
        public boolean claimSlot(long stageRowId, String queue) {
            return true;
        }

        @Override
        public void stageSucceeded(long stageRowId, StageOutput output) {
        }

        @Override
        public void stageEnded(long stageRowId, String status, String error) {
        }
    }

    private final class FakeTokenizer implements TokenizerStage {
        @Override
        public StageOutput tokenize(StageInput input) {
            calls.add("tokenize");
            Map<String, ArtifactRef> outputs = new LinkedHashMap<>();
            outputs.put("tokenizer", new ArtifactRef("tokenizer-digest", "tokenizer", 1));
            outputs.put("tokens", new ArtifactRef("tokens-digest", "tokens", 1));
            return new StageOutput(outputs, Map.of());
        }
    }

    private final class FakePlan implements PlanStage {
        @Override
        public StageOutput plan(StageInput input) {
            ArtifactRef fit = input.inputs().get(Outputs.SCALING_FIT);
            calls.add("plan " + input.inputs().keySet().stream().toList() + " fit=" + fit.digest());
            return new StageOutput(Map.of("plan", new ArtifactRef("plan-digest", "plan", 1),
                    Outputs.SCALING_FIT, fit), Map.of());
        }
    }

    /** Three probes per kind; results named {@code kind-index}. */
    private final class FakeSweep implements SweepActivities {
        @Override
        public List<SweepProbe> designProbes(SweepInput input, String kind, List<ProbeResult> grid) {
            calls.add("design " + kind + " after " + names(grid));
            List<SweepProbe> probes = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                probes.add(new SweepProbe(kind, i, input.options().budgets().get(i), JSON.createObjectNode()));
            }
            return probes;
        }

        @Override
        public ProbeResult runProbe(SweepInput input, SweepProbe probe) {
            calls.add("probe " + probe.kind() + "-" + probe.index() + " on " + input.tokens().digest());
            return new ProbeResult(probe.kind(), probe.index(), probe.compute(), 1e6, 1000, 64, 1e-3, 10, 5.0, 5.0,
                    0.5, false, 0.1);
        }

        @Override
        public SweepOutcome fitSweep(SweepInput input, List<ProbeResult> results) {
            calls.add("fit " + names(results));
            return new SweepOutcome(new ArtifactRef("fit-digest", ScalingSweepWorkflow.SCALING_FIT_KIND, 1),
                    Map.of("sweep.probes", (double) results.size()));
        }

        private List<String> names(List<ProbeResult> results) {
            return results.stream().map(r -> r.kind() + "-" + r.index()).toList();
        }
    }
}
