package dev.lmforge.activities.planning;

import dev.lmforge.activities.model.BudgetPlan;
import dev.lmforge.activities.model.HardwareProfile;
import dev.lmforge.activities.model.MemoryEstimate;
import dev.lmforge.activities.model.ModelScale;
import dev.lmforge.activities.model.ModelShape;
import dev.lmforge.activities.model.PaperLaws;
import dev.lmforge.activities.model.PowerLaw;
import dev.lmforge.activities.model.ScalingLaws;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class BudgetPlannerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void tinyBudgetsGetTinyModelsWithShortSequences() {
        int[] expectedSeq = {128, 256, 512};
        double[] budgets = {1e13, 1e14, 1e15};
        for (int i = 0; i < budgets.length; i++) {
            BudgetPlan plan = BudgetPlanner.plan(BudgetRequest.of(budgets[i]));
            ModelShape shape = plan.model().shape();
            assertEquals(expectedSeq[i], shape.seqLen(), "seq at C = " + budgets[i]);
            assertTrue(shape.dModel() <= 512 && shape.layers() <= 8, "tiny shape at C = " + budgets[i] + ": " + shape);
            assertTrue(plan.batchSequences() >= BudgetPlanner.MIN_BATCH_SEQUENCES, "batch at C = " + budgets[i]);
            assertTrue(plan.steps() > 500, "steps at C = " + budgets[i] + ": " + plan.steps());
            assertEquals(1.0, plan.plannedCompute() / budgets[i], 0.01, "the plan spends the budget");
        }
    }

    @Test
    void paperScaleBudgetLandsOnA67BClassShape() {
        BudgetPlan plan = BudgetPlanner.plan(BudgetRequest.of(1e24));
        ModelShape shape = plan.model().shape();
        assertEquals(8192, shape.dModel());
        assertEquals(64, shape.heads());
        assertEquals(8, shape.kvHeads());
        assertEquals(4096, shape.seqLen());
        assertTrue(shape.layers() >= 95 && shape.layers() <= 128, "layers " + shape.layers());
        assertEquals(1.0, plan.model().modelScale() / plan.optimalModelScale(), 0.01);
        assertEquals(3.118e-4, plan.learningRate(), 1e-9);
        assertEquals(2000, plan.schedule().warmupSteps());
        assertEquals(Math.round(2.069e7 / 4096), plan.batchSequences(), 2);
        assertEquals(Math.round(0.8 * plan.steps()), plan.schedule().drops().get(0).fromStep());
        assertEquals(Math.round(0.9 * plan.steps()), plan.schedule().drops().get(1).fromStep());
    }

    @Test
    void tokenLimitTrainsOnTheLimitWithALargerModel() {
        // D_opt(1e17) = 712M tokens; with 400M the model grows to C / limit = 250M, 1.8× M_opt.
        BudgetPlan plan = BudgetPlanner.plan(new BudgetRequest(1e17, 400_000_000L, null, null, null, null));
        assertTrue(plan.tokens() <= 400_000_000L);
        assertEquals(1.0, plan.plannedCompute() / 1e17, 0.05);
        assertEquals(2.5e8, plan.model().modelScale(), 0.25e8);
        assertTrue(plan.notes().get(0).startsWith("token-limited: 400M tokens available"), plan.notes().toString());
    }

    @Test
    void tokenLimitGrowsTheModelToFourTimesMOptAtMost() {
        // With 10M tokens C / limit would be 1e10, 71× M_opt: the model stops at 4× and leaves the budget unspent.
        BudgetPlan plan = BudgetPlanner.plan(new BudgetRequest(1e17, 10_000_000L, null, null, null, null));
        double cap = BudgetPlanner.MAX_MODEL_GROWTH * PaperLaws.MODEL_SCALE.at(1e17);
        assertEquals(1.0, plan.model().modelScale() / cap, 0.15);
        assertTrue(plan.tokens() <= 10_000_000L && plan.tokens() > 9_000_000L, "tokens " + plan.tokens());
        assertTrue(plan.plannedCompute() < 0.1 * 1e17);
        assertTrue(plan.notes().stream().anyMatch(n -> n.startsWith("the token limit stops this model at")),
                plan.notes().toString());
    }

    @Test
    void tokenLimitBelowOneBatchIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BudgetPlanner.plan(new BudgetRequest(1e17, 1000L, null, null, null, null)));
        assertTrue(e.getMessage().startsWith("token limit 1000 is smaller than one batch"), e.getMessage());
    }

    @Test
    void nonPositiveOrNonFiniteBudgetsAreRefusedNamingTheValue() {
        for (double bad : new double[] {0, -1e20, Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BudgetRequest.of(bad));
            assertTrue(e.getMessage().endsWith("got " + bad), e.getMessage());
        }
    }

    @Test
    void fittedLawsReplaceThePapers() {
        ScalingLaws fitted = ScalingLaws.paper()
                .withAllocation(new PowerLaw(0.05, 0.6), new PowerLaw(20, 0.4), "isoflop sweep")
                .withHyperparameters(new PowerLaw(1.0, -0.15), new PowerLaw(0.5, 0.3), "hparam sweep");
        BudgetPlan plan = BudgetPlanner.plan(new BudgetRequest(1e18, null, null, null, fitted, null));
        assertEquals(0.05 * Math.pow(1e18, 0.6), plan.optimalModelScale(), 1);
        assertEquals(Math.pow(1e18, -0.15), plan.learningRate(), 1e-12);
        assertEquals("isoflop sweep", plan.laws().allocationSource());
        assertEquals("hparam sweep", plan.laws().hyperparameterSource());
    }

    @Test
    void hardwareProfileGivesMicroBatchesAndWallTime() {
        HardwareProfile cpu = new HardwareProfile(2e10, 4L << 30);
        BudgetPlan plan = BudgetPlanner.plan(new BudgetRequest(1e15, null, null, 8192, null, cpu));
        MemoryEstimate memory = plan.memory();
        assertEquals(true, memory.fitsInMemory());
        long free = cpu.memoryBytes() - memory.stateBytes();
        int micro = memory.microBatchSequences();
        assertTrue(micro >= 1 && (long) micro * memory.activationBytesPerSequence() <= free);
        assertTrue(micro == plan.batchSequences() || (long) (micro + 1) * memory.activationBytesPerSequence() > free);
        assertTrue((long) micro * memory.accumulationSteps() >= plan.batchSequences());
        assertEquals(plan.trainingFlops() / 2e10, plan.wallSeconds(), 1e-6);
        assertEquals(plan.model().trainingFlopsPerToken() * plan.tokens(), plan.trainingFlops(), 1);
    }

    @Test
    void modelTooBigForTheWorkerIsNotedNotHidden() {
        BudgetPlan plan = BudgetPlanner.plan(new BudgetRequest(1e22, null, null, null, null,
                new HardwareProfile(1e12, 1L << 30)));
        assertEquals(false, plan.memory().fitsInMemory());
        assertEquals(null, plan.memory().microBatchSequences());
        assertTrue(plan.notes().stream().anyMatch(n -> n.startsWith("does not fit")), plan.notes().toString());
    }

    @Test
    void planSerialisesToJsonWithoutNaNAndReadsBack() throws Exception {
        for (double c : new double[] {1e13, 1e15, 1e19, 1e24}) {
            BudgetPlan plan = BudgetPlanner.plan(new BudgetRequest(c, null, null, null, null,
                    new HardwareProfile(5e10, 16L << 30)));
            String text = JSON.writeValueAsString(plan);
            assertAllNumbersFinite(JSON.readTree(text), "plan at C = " + c);
            assertEquals(plan, JSON.readValue(text, BudgetPlan.class));
        }
    }

    @Test
    void everyBudgetFromAMillionToTheLaddersEndPlansWithoutNaN() throws Exception {
        for (double c = 1e6; c <= 1e28; c *= 10) {
            BudgetPlan plan = BudgetPlanner.plan(BudgetRequest.of(c));
            assertAllNumbersFinite(JSON.readTree(JSON.writeValueAsString(plan)), "plan at C = " + c);
            assertTrue(plan.steps() >= 1 && plan.schedule().warmupSteps() >= 1);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BudgetPlanner.plan(BudgetRequest.of(1e31)));
        assertTrue(e.getMessage().startsWith("target model scale M = "), e.getMessage());
        assertTrue(e.getMessage().endsWith("exceeds the largest shape lmforge builds (1024 layers of d_model 65536)"),
                e.getMessage());
    }

    @Test
    void ladderGrowsDepthBeforeWidthAndLandsClose() {
        // From M = 1e9 on a shape has 10+ layers, so one layer more or less moves M by under 10 %.
        for (double target = 1e9; target < 1e13; target *= 3.7) {
            ModelShape shape = ShapeLadder.closest(target, 4096, 32_000);
            double m = ModelScale.of(shape).modelScale();
            assertTrue(Math.abs(m / target - 1) < 0.05, "M " + m + " for target " + target + ": " + shape);
            assertTrue(shape.layers() <= shape.dModel() / ShapeLadder.MIN_WIDTH_PER_LAYER);
            assertTrue(shape.headDim() == 64 || shape.headDim() == 128);
            assertTrue(shape.dModel() % (shape.dModel() >= 1024 ? 128 : 64) == 0);
            // Every narrower width on the ladder, even at its greatest depth, falls short of the target.
            for (int d = 64; d < shape.dModel(); d += 64) {
                if (d >= 1024 && d % 128 != 0 || d > 4096 && d % 1024 != 0) {
                    continue;
                }
                assertTrue(ModelScale.modelScale(d / ShapeLadder.MIN_WIDTH_PER_LAYER, d, 4096) < target,
                        "width " + d + " could have reached " + target + " before " + shape);
            }
        }
    }

    private static void assertAllNumbersFinite(JsonNode node, String where) {
        if (node.isNumber()) {
            assertTrue(Double.isFinite(node.doubleValue()), where);
        } else if (node.isTextual()) {
            assertTrue(!node.textValue().equals("NaN") && !node.textValue().contains("Infinity"), where);
        }
        node.elements().forEachRemaining(child -> assertAllNumbersFinite(child, where));
    }
}
