package dev.lmforge.activities.planning;

import dev.lmforge.activities.RealStageRuntime;
import dev.lmforge.activities.StageRuntime;
import dev.lmforge.activities.model.BudgetPlan;
import dev.lmforge.activities.model.PaperLaws;
import dev.lmforge.activities.model.PowerLawFit;
import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.text.TokenShardIndex;
import dev.lmforge.activities.text.TokenShardWriter;
import dev.lmforge.activities.text.TokenShards;
import dev.lmforge.activities.tokenizer.BpeTrainer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.ledger.Records.ArtifactRecord;
import dev.lmforge.services.ledger.Records.NewRun;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.sweep.ProbeResult;
import dev.lmforge.workflows.sweep.ScalingSweepWorkflow;
import dev.lmforge.workflows.sweep.ScalingSweepWorkflowImpl;
import dev.lmforge.workflows.sweep.SweepInput;
import dev.lmforge.workflows.sweep.SweepOptions;
import dev.lmforge.workflows.sweep.SweepOutcome;
import dev.lmforge.workflows.sweep.SweepProgress;
import dev.lmforge.workflows.spec.LifecycleSpec;
import dev.lmforge.workflows.stage.Outputs;
import dev.lmforge.workflows.stage.PlanStage;
import dev.lmforge.workflows.stage.PlanStageConfig;
import dev.lmforge.workflows.stage.StageInput;
import dev.lmforge.workflows.stage.StageOutput;
import io.temporal.activity.ActivityOptions;
import io.temporal.testing.TestActivityEnvironment;
import java.time.Duration;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two whole scaling sweeps with tiny probes: the real workflow on Temporal's test environment, the real activities
 * against a real PostgreSQL and S3 server, each probe a real training run on token shards of a sample dump. The
 * hyperparameter grid's fit comes back as a recorded {@code scaling-fit} artifact whose exponents are finite and
 * carry standard errors, and the plan stage plans with it. The IsoFLOP sweep runs at budgets (1.5e10 to 6e10
 * FLOPs) where the probes' toy shapes (one layer of width 16 to 64) give three or four models per budget; its
 * allocation law and loss curve are fitted from what the probes really measured.
 */
class ScalingSweepWorkflowTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RUN = "sweep-run";
    private static final double TARGET = 1e13;
    private static final List<Double> BUDGETS = List.of(1e9, 3e9, 1e10);
    private static final List<Double> ISOFLOP_BUDGETS = List.of(1.5e10, 3e10, 6e10);

    @TempDir
    static Path dir;
    static RealStageRuntime stack;
    static StageRuntime runtime;
    static TestWorkflowEnvironment env;
    static ArtifactRef tokens;
    static SweepOutcome outcome;
    static ScalingSweepWorkflow workflow;
    static SweepOutcome isoFlop;

    @BeforeAll
    static void sweepOnce() throws Exception {
        stack = new RealStageRuntime(dir);
        runtime = stack.runtime();
        runtime.ledger().runs().createRun(new NewRun(RUN, "t", null, "alice", "{}", "", List.of(), null));
        tokens = storeTokens(Files.readString(Path.of("../samples/corpus/dump-2024-01.jsonl")));

        env = TestWorkflowEnvironment.newInstance();
        Worker worker = env.newWorker("cpu", WorkerOptions.newBuilder().setMaxConcurrentActivityExecutionSize(2).build());
        worker.registerWorkflowImplementationTypes(ScalingSweepWorkflowImpl.class);
        worker.registerActivitiesImplementations(new SweepActivitiesImpl(runtime, dir.resolve("shard-cache")));
        env.start();
        workflow = env.getWorkflowClient().newWorkflowStub(ScalingSweepWorkflow.class,
                WorkflowOptions.newBuilder().setTaskQueue("cpu").setWorkflowId("sweep-test").build());
        SweepOptions options = new SweepOptions(SweepOptions.HYPERPARAMETERS, BUDGETS, null, null, 2, 2, 3.0, 0.02,
                32, 1L, 1, null);
        outcome = workflow.run(new SweepInput(RUN, "plan", options, TARGET, 32, tokens, "cpu"));
        isoFlop = env.getWorkflowClient().newWorkflowStub(ScalingSweepWorkflow.class,
                        WorkflowOptions.newBuilder().setTaskQueue("cpu").setWorkflowId("isoflop-sweep-test").build())
                .run(new SweepInput(RUN, "plan", new SweepOptions(SweepOptions.ISOFLOP, ISOFLOP_BUDGETS, 5, null, null,
                        null, null, null, 32, 1L, 1, null), TARGET, 32, tokens, "cpu"));
    }

    @AfterAll
    static void stop() {
        env.close();
        stack.close();
    }

    /** A BPE tokenizer of 300 ids trained on {@code text}, and the text's token shards, stored. */
    private static ArtifactRef storeTokens(String text) throws Exception {
        BpeTrainer trainer = new BpeTrainer(300);
        trainer.addText(text);
        BpeTokenizer tokenizer = trainer.train();
        Path shardDir = dir.resolve("shards");
        TokenShardIndex index;
        try (TokenShardWriter writer = new TokenShardWriter(shardDir, tokenizer.vocabularySize(),
                tokenizer.specialTokenId("<|eos|>"), 1 << 14)) {
            writer.writeDocument(tokenizer.encode(text));
            index = writer.finish();
        }
        Map<String, String> files = new LinkedHashMap<>();
        for (TokenShardIndex.Shard shard : index.shards()) {
            files.put(shard.file(), store(Files.readAllBytes(shardDir.resolve(shard.file())), "token-shard").digest());
        }
        return store(JSON.writeValueAsBytes(new TokenShards(TokenShardIndex.FORMAT, index, files)), "tokens");
    }

    private static ArtifactRef store(byte[] bytes, String kind) {
        ArtifactStore.StoredObject stored = runtime.artifacts().put(bytes);
        runtime.ledger().artifacts().recordArtifact(stored.digest(), kind, stored.sizeBytes(), "{}");
        return new ArtifactRef(stored.digest(), kind, stored.sizeBytes());
    }

    @Test
    void theFitIsARecordedArtifactWithFiniteExponentsAndTheirUncertainties() {
        ArtifactRecord record = runtime.ledger().artifacts().artifact(outcome.fit().digest()).orElseThrow();
        assertEquals(ScalingSweepWorkflow.SCALING_FIT_KIND, record.kind());
        assertTrue(record.metadata().contains(tokens.digest()), "the fit names the tokens it came from");
        ScalingFit fit = ScalingFit.read(runtime.artifacts().readAllBytes(outcome.fit().digest()));
        assertEquals(BUDGETS, fit.settings().budgets());
        assertEquals(12, fit.probes().size(), "a 2 x 2 grid at each of 3 budgets");
        HyperparameterFit grid = fit.hyperparameters();
        assertEquals(3, grid.budgets().size());
        for (PowerLawFit law : List.of(grid.learningRateLaw(), grid.batchTokensLaw())) {
            assertTrue(Double.isFinite(law.exponent()) && Double.isFinite(law.coefficient()), law.toString());
            assertNotNull(law.exponentStdErr());
            assertTrue(Double.isFinite(law.exponentStdErr()), law.toString());
            assertEquals(3, law.logResiduals().size());
        }
        assertEquals(grid.learningRateLaw().exponent(), fit.laws().learningRate().exponent());
        assertEquals(PaperLaws.MODEL_SCALE, fit.laws().modelScale(), "no IsoFLOP sweep: Eq. 4 stays");
        assertEquals(grid.learningRateLaw().exponent(), outcome.summary().get("sweep.learningRate.alpha"));
        for (ProbeResult probe : fit.probes()) {
            assertTrue(probe.heldOutLoss() > 0 && probe.heldOutLoss() < Math.log(300) + 1, probe.toString());
            assertEquals(probe.compute(), probe.modelScale() * probe.tokens(), 0.25 * probe.compute());
        }
    }

    @Test
    void anIsoFlopSweepOfRealProbesFitsTheAllocationAndTheLossCurve() {
        ScalingFit fit = ScalingFit.read(runtime.artifacts().readAllBytes(isoFlop.fit().digest()));
        IsoFlopFit allocation = fit.isoFlop();
        assertEquals(ISOFLOP_BUDGETS, allocation.budgets().stream().map(IsoFlopOptimum::compute).toList());
        for (IsoFlopOptimum budget : allocation.budgets()) {
            assertTrue(budget.points().size() >= 3, "three or more distinct shapes at C = " + budget.compute());
            assertTrue(Double.isFinite(budget.optimalModelScale()) && budget.minimumLoss() > 0, budget.toString());
        }
        for (PowerLawFit law : List.of(allocation.modelScaleLaw(), allocation.dataTokensLaw(), allocation.lossCurve().law())) {
            assertTrue(Double.isFinite(law.exponent()) && Double.isFinite(law.coefficient()), law.toString());
            assertNotNull(law.exponentStdErr(), law.toString());
        }
        // M_opt · D_opt = C at every budget, so the two fitted exponents add up to one (Eq. 4's a + b = 1).
        assertEquals(1.0, allocation.modelScaleLaw().exponent() + allocation.dataTokensLaw().exponent(), 1e-9);
        assertTrue(fit.laws().allocationSource().startsWith("fitted"), fit.laws().allocationSource());
        assertTrue(fit.prediction().loss() > 0 && fit.prediction().loss() < Math.log(300), fit.prediction().toString());
        assertEquals(fit.probes().size(), runtime.ledger().metrics().metricSeries(RUN, "plan", "sweep.isoflop.heldOutLoss", 100).size());
    }

    @Test
    void eachProbesHeldOutLossIsInTheRunsMetricsAndTheProgressIsComplete() {
        assertEquals(12, runtime.ledger().metrics().metricSeries(RUN, "plan", "sweep.hyperparameters.heldOutLoss", 100).size());
        assertEquals(new SweepProgress("done", 12, 12), workflow.progress());
    }

    @Test
    void thePlanStagePlansWithTheFittedLawsAndHandsTheFitOn() throws Exception {
        Map<String, ArtifactRef> inputs = Map.of(Outputs.SCALING_FIT, outcome.fit());
        long row = runtime.ledger().runs().beginStage(RUN, "plan", 1, "key-plan", "{}", Map.of(), null);
        StageInput input = new StageInput(RUN, row, "plan", JSON.valueToTree(new PlanStageConfig(
                new LifecycleSpec.Compute(TARGET, null), new LifecycleSpec.PlanOptions(32, 300, null))), inputs);
        TestActivityEnvironment activities = TestActivityEnvironment.newInstance();
        try {
            activities.registerActivitiesImplementations(new PlanStageActivities(runtime));
            StageOutput out = activities.newActivityStub(PlanStage.class, ActivityOptions.newBuilder()
                    .setStartToCloseTimeout(Duration.ofMinutes(1)).build()).plan(input);
            assertEquals(outcome.fit(), out.outputs().get(Outputs.SCALING_FIT));
            BudgetPlan plan = JSON.readValue(runtime.artifacts().readAllBytes(out.outputs().get("plan").digest()),
                    BudgetPlan.class);
            ScalingFit fit = ScalingFit.read(runtime.artifacts().readAllBytes(outcome.fit().digest()));
            assertEquals(fit.laws().learningRate().at(TARGET), plan.learningRate(), 1e-12);
            assertTrue(plan.laws().hyperparameterSource().startsWith("fitted"), plan.laws().hyperparameterSource());
            assertEquals(outcome.summary().get("sweep.batchTokens.beta"), out.summary().get("sweep.batchTokens.beta"));
        } finally {
            activities.close();
        }
    }
}
