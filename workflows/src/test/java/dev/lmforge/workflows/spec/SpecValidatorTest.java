package dev.lmforge.workflows.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lmforge.workflows.stage.CorpusSource;
import dev.lmforge.workflows.stage.Stage;
import dev.lmforge.workflows.sweep.SweepOptions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The spec rules, each naming its field. */
class SpecValidatorTest {

    private static final LifecycleSpec.Corpus CORPUS = new LifecycleSpec.Corpus(List.of(new CorpusSource("samples/corpus", null, null, null)));

    private static LifecycleSpec spec(List<String> stages, LifecycleSpec.Corpus corpus, LifecycleSpec.Compute compute) {
        return new LifecycleSpec("t", null, stages, corpus, null, compute, null, null, null, null, null, null, null);
    }

    private static List<String> fields(LifecycleSpec spec) {
        return SpecValidator.validate(spec).stream().map(SpecProblem::field).toList();
    }

    @Test
    void aValidSpecHasNoProblemsAndItsStagesComeInLifecycleOrder() {
        LifecycleSpec spec = spec(List.of("plan", "data"), CORPUS, new LifecycleSpec.Compute(1e15, null));
        assertEquals(List.of(), SpecValidator.validate(spec));
        assertEquals(List.of(Stage.DATA, Stage.PLAN), spec.stageList());
    }

    @Test
    void unknownAndRepeatedStagesAreNamedByIndex() {
        List<SpecProblem> problems = SpecValidator.validate(spec(List.of("data", "pretrian", "align", "data"), CORPUS, null));
        assertEquals(List.of("stages[1]", "stages[3]"), problems.stream().map(SpecProblem::field).toList());
        assertTrue(problems.get(0).message().contains("unknown stage 'pretrian'"));
        assertTrue(problems.get(1).message().contains("twice"));
    }

    @Test
    void omittingStagesMeansAllSevenOfThem() {
        LifecycleSpec spec = spec(null, CORPUS, new LifecycleSpec.Compute(1e15, null));
        assertEquals(List.of(), fields(spec));
        assertEquals(7, spec.stageList().size());
    }

    @Test
    void theDataStageNeedsACorpusWithPaths() {
        assertEquals(List.of("corpus.sources"), fields(spec(List.of("data"), null, null)));
        assertEquals(List.of("corpus.sources[0].path"), fields(spec(List.of("data"),
                new LifecycleSpec.Corpus(List.of(new CorpusSource(" ", null, null, null))), null)));
    }

    @Test
    void theBudgetMustBePositiveAndFinite() {
        assertEquals(List.of("compute.budget"), fields(spec(List.of("plan"), null, new LifecycleSpec.Compute(-1e18, null))));
        assertEquals(List.of("compute.budget"), fields(spec(List.of("plan"), null, new LifecycleSpec.Compute(Double.NaN, null))));
        assertEquals(List.of("compute.budget"), fields(spec(List.of("plan"), null, null)));
        assertEquals(List.of("compute.tokens"), fields(spec(List.of("plan"), null, new LifecycleSpec.Compute(1e18, 0L))));
    }

    @Test
    void budgetAndTokensOutsideTheirRangesAreRefusedWithTheRange() {
        for (double budget : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e8, 1e40,
                Double.MAX_VALUE}) {
            List<SpecProblem> problems = SpecValidator.validate(spec(List.of("plan"), null, new LifecycleSpec.Compute(budget, null)));
            assertEquals(List.of("compute.budget"), problems.stream().map(SpecProblem::field).toList(), "budget " + budget);
            assertTrue(problems.get(0).message().contains("from 1.0E9 to 1.0E28"), problems.get(0).message());
        }
        assertEquals(List.of(), fields(spec(List.of("plan"), null, new LifecycleSpec.Compute(SpecValidator.MAX_COMPUTE_BUDGET, null))));
        for (long tokens : new long[] {0, -1, Long.MIN_VALUE, Long.MAX_VALUE, SpecValidator.MAX_TOKENS + 1}) {
            List<SpecProblem> problems = SpecValidator.validate(spec(List.of("plan"), null, new LifecycleSpec.Compute(1e15, tokens)));
            assertEquals(List.of("compute.tokens"), problems.stream().map(SpecProblem::field).toList(), "tokens " + tokens);
            assertTrue(problems.get(0).message().contains("from 1 to " + SpecValidator.MAX_TOKENS), problems.get(0).message());
        }
    }

    @Test
    void sequenceLengthAndVocabulariesOutsideTheirRangesAreRefusedWithTheRange() {
        LifecycleSpec.Compute compute = new LifecycleSpec.Compute(1e15, null);
        for (int bad : new int[] {0, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, SpecValidator.MAX_SEQ_LEN + 1}) {
            List<SpecProblem> problems = SpecValidator.validate(new LifecycleSpec("t", null, List.of("plan"), null, null,
                    compute, null, new LifecycleSpec.PlanOptions(bad, null, null), null, null, null, null, null));
            assertEquals(List.of("plan.seqLen"), problems.stream().map(SpecProblem::field).toList(), "seqLen " + bad);
            assertTrue(problems.get(0).message().contains("from 1 to 131072"), problems.get(0).message());
        }
        for (int bad : new int[] {0, -1, 256, Integer.MAX_VALUE, SpecValidator.MAX_VOCAB + 1}) {
            List<SpecProblem> problems = SpecValidator.validate(new LifecycleSpec("t", null, List.of("plan"), null, null,
                    compute, new LifecycleSpec.TokenizerOptions(bad, null, null), new LifecycleSpec.PlanOptions(null, bad, null),
                    null, null, null, null, null));
            assertEquals(List.of("plan.vocab", "tokenizer.vocabSize"), problems.stream().map(SpecProblem::field).toList(),
                    "vocabulary " + bad);
            assertTrue(problems.get(0).message().contains("from 257 (the 256 byte tokens and more) to 1048576"),
                    problems.get(0).message());
        }
        assertEquals(List.of(), fields(new LifecycleSpec("t", null, List.of("plan"), null, null, compute,
                new LifecycleSpec.TokenizerOptions(SpecValidator.MAX_VOCAB, null, null),
                new LifecycleSpec.PlanOptions(SpecValidator.MAX_SEQ_LEN, SpecValidator.MIN_VOCAB, null), null, null, null, null, null)));
    }

    @Test
    void tokensPerShardOutsideItsRangeIsRefusedWithTheRange() {
        LifecycleSpec.Compute compute = new LifecycleSpec.Compute(1e15, null);
        for (long bad : new long[] {1, 0, -1, SpecValidator.MIN_TOKENS_PER_SHARD - 1, SpecValidator.MAX_TOKENS_PER_SHARD + 1,
                Long.MAX_VALUE}) {
            List<SpecProblem> problems = SpecValidator.validate(new LifecycleSpec("t", null, List.of("plan"), null, null,
                    compute, new LifecycleSpec.TokenizerOptions(null, null, bad), null, null, null, null, null, null));
            assertEquals(List.of("tokenizer.tokensPerShard"), problems.stream().map(SpecProblem::field).toList(),
                    "tokensPerShard " + bad);
            assertTrue(problems.get(0).message().contains("from 64 to 1073741824"), problems.get(0).message());
        }
        for (long good : new long[] {SpecValidator.MIN_TOKENS_PER_SHARD, 100, SpecValidator.MAX_TOKENS_PER_SHARD}) {
            assertEquals(List.of(), fields(new LifecycleSpec("t", null, List.of("plan"), null, null, compute,
                    new LifecycleSpec.TokenizerOptions(null, null, good), null, null, null, null, null, null)));
        }
    }

    @Test
    void alignNeedsPretrainAndEvaluateChatNeedsAlign() {
        LifecycleSpec.Compute compute = new LifecycleSpec.Compute(1e15, null);
        List<SpecProblem> problems = SpecValidator.validate(spec(List.of("data", "align", "evaluate-chat"), CORPUS,
                compute));
        assertEquals(List.of("stages[1]"), problems.stream().map(SpecProblem::field).toList());
        assertTrue(problems.get(0).message().contains("align needs the tokenizer and pretrain stages"));
        problems = SpecValidator.validate(spec(List.of("data", "tokenizer", "plan", "pretrain", "evaluate-chat"),
                CORPUS, compute));
        assertEquals(List.of("stages[4]: evaluate-chat needs the align stage before it"),
                problems.stream().map(p -> p.field() + ": " + p.message()).toList());
        LifecycleSpec withSft = new LifecycleSpec("t", null, List.of("data", "tokenizer", "plan", "pretrain", "align"),
                CORPUS, null, compute, null, null, null, null, null,
                new LifecycleSpec.SftOptions(null, 2, null, null, null, null, null), null);
        assertEquals(List.of(), fields(withSft));
        LifecycleSpec badAlignment = new LifecycleSpec("t", null, List.of("data", "tokenizer", "plan", "pretrain", "align"),
                CORPUS, null, compute, null, null, null, null, null,
                new LifecycleSpec.SftOptions(" ", 0, -1.0, "linear", null, 3, null),
                new LifecycleSpec.DpoOptions(null, 0.0, null, Double.NaN, null, 1.0, null));
        assertEquals(List.of("sft.epochs", "sft.learningRate", "sft.schedule", "sft.batchSequences", "sft.data",
                "dpo.beta", "dpo.learningRate", "dpo.heldOutFraction"), fields(badAlignment));
    }

    private static List<String> trainingFields(List<String> stages, LifecycleSpec.TrainingOptions training) {
        return fields(new LifecycleSpec("t", null, stages, CORPUS, null, new LifecycleSpec.Compute(1e12, null), null,
                null, null, training, null, null, null));
    }

    @Test
    void trainingOptionsAreCheckedAndPretrainNeedsItsInputStages() {
        List<String> all = List.of("data", "tokenizer", "plan", "pretrain");
        assertEquals(List.of(), trainingFields(all, new LifecycleSpec.TrainingOptions(7L, "cosine", "bfloat16", 4, 2,
                1.5, 100, 2, "ab".repeat(32))));
        assertEquals(List.of("training.schedule", "training.precision", "training.microBatchSequences",
                        "training.keepCheckpoints", "training.checkpointMinutes", "training.extendFrom"),
                trainingFields(all, new LifecycleSpec.TrainingOptions(null, "linear", "fp8", 0, null, -1.0, null, 0,
                        "not-a-digest")));
        assertEquals(List.of("stages[1]: pretrain needs the tokenizer and plan stages before it"),
                SpecValidator.validate(new LifecycleSpec("t", null, List.of("data", "pretrain"), CORPUS, null,
                        new LifecycleSpec.Compute(1e12, null), null, null, null, null, null, null, null))
                        .stream().map(p -> p.field() + ": " + p.message()).toList());
    }

    private static List<String> dataFields(LifecycleSpec.DataOptions data) {
        return fields(new LifecycleSpec("t", null, List.of("data"), CORPUS, data, null, null, null, null, null, null,
                null, null));
    }

    @Test
    void dataSettingsOutOfRangeAreNamedWithTheirPath() {
        assertEquals(List.of(), dataFields(new LifecycleSpec.DataOptions(1_000_000L, 8,
                new LifecycleSpec.DataOptions.Reading(1024L, 0.1),
                new LifecycleSpec.DataOptions.Dedup(true, "WORD", 3, 64, 8, 8, 0.7, 1L, "LATEST_DUMP"),
                new LifecycleSpec.DataOptions.Quality(10, 20, null, null, null, null, null, null, null, null, null, null,
                        List.of("en"), 0),
                new LifecycleSpec.DataOptions.Remix(Map.of("docs", 2.0), Map.of(), 100L, 3L))));
        assertEquals(List.of("data.maxBytesPerSecond", "data.partitions", "data.reading.maxErrorRatio"),
                dataFields(new LifecycleSpec.DataOptions(0L, 0, new LifecycleSpec.DataOptions.Reading(null, 1.5),
                        null, null, null)));
        assertEquals(List.of("data.dedup.shingles", "data.dedup.keep", "data.dedup.permutations", "data.dedup.bands",
                        "data.dedup.threshold"),
                dataFields(new LifecycleSpec.DataOptions(null, null, null,
                        new LifecycleSpec.DataOptions.Dedup(null, "BYTE", null, 30, 8, 4, 0.0, null, "FIRST"), null, null)));
        assertEquals(List.of("data.quality.maxWords", "data.quality.maxTopNgramFraction", "data.quality.languages[1]",
                        "data.remix.domainWeights.web"),
                dataFields(new LifecycleSpec.DataOptions(null, null, null, null,
                        new LifecycleSpec.DataOptions.Quality(10, 5, null, null, null, null, null, null, null,
                                List.of(0.1), null, null, List.of("en", "fr"), null),
                        new LifecycleSpec.DataOptions.Remix(Map.of("web", -1.0), null, null, null))));
        assertEquals(List.of(), dataFields(new LifecycleSpec.DataOptions(null, null, null, null, null,
                new LifecycleSpec.DataOptions.Remix(null, null, DataSettings.MAX_DOCUMENTS_PER_STAGE, null))));
        List<SpecProblem> upSampled = SpecValidator.validate(new LifecycleSpec("t", null, List.of("data"), CORPUS,
                new LifecycleSpec.DataOptions(null, null, null, null, null,
                        new LifecycleSpec.DataOptions.Remix(null, null, DataSettings.MAX_DOCUMENTS_PER_STAGE + 1, null)),
                null, null, null, null, null, null, null, null));
        assertEquals(List.of("data.remix.documents: must be at most 1000000000, got 1000000001"),
                upSampled.stream().map(p -> p.field() + ": " + p.message()).toList());
    }

    private static List<String> sweepFields(List<String> stages, SweepOptions sweep) {
        return fields(new LifecycleSpec("t", null, stages, CORPUS, null, new LifecycleSpec.Compute(1e15, null), null,
                new LifecycleSpec.PlanOptions(null, null, sweep), null, null, null, null, null));
    }

    private static final List<String> TOKENIZER_AND_PLAN = List.of("data", "tokenizer", "plan");

    @Test
    void aSweepWithDefaultsOrSensibleOptionsIsValid() {
        assertEquals(List.of(), sweepFields(TOKENIZER_AND_PLAN,
                new SweepOptions(null, null, null, null, null, null, null, null, null, null, null, null)));
        assertEquals(List.of(), sweepFields(TOKENIZER_AND_PLAN, new SweepOptions("isoflop", List.of(1e11, 3e11, 1e12),
                10, 4.0, 1, 3, 2.0, 0.0025, 64, 7L, 2, "gpu")));
    }

    @Test
    void sweepOptionsOutOfRangeAreNamedWithTheirPath() {
        assertEquals(List.of("plan.sweep.kind", "plan.sweep.budgets[1]", "plan.sweep.budgets[2]",
                        "plan.sweep.splits", "plan.sweep.span", "plan.sweep.ratio", "plan.sweep.learningRates",
                        "plan.sweep.margin", "plan.sweep.heldOutRows", "plan.sweep.threads", "plan.sweep.queue"),
                sweepFields(TOKENIZER_AND_PLAN, new SweepOptions("grid", List.of(1e11, -1.0, 2e15), 2, 1.0, 1, 2,
                        Double.POSITIVE_INFINITY, 1.5, 0, null, 0, "tpu")));
        assertEquals(List.of("plan.sweep.splits", "plan.sweep.batchSizes"), sweepFields(TOKENIZER_AND_PLAN,
                new SweepOptions(null, null, 51, null, 11, null, null, null, null, null, null, null)));
    }

    @Test
    void aSweepNeedsThreeDistinctBudgetsBelowTheRunsOwn() {
        List<SpecProblem> problems = SpecValidator.validate(new LifecycleSpec("t", null, TOKENIZER_AND_PLAN, CORPUS,
                null, new LifecycleSpec.Compute(1e12, null), null, new LifecycleSpec.PlanOptions(null, null,
                new SweepOptions(null, List.of(1e10, 1e10, 1e12), null, null, null, null, null, null, null, null,
                        null, null)), null, null, null, null, null));
        assertEquals(List.of("plan.sweep.budgets[2]", "plan.sweep.budgets"),
                problems.stream().map(SpecProblem::field).toList());
        assertTrue(problems.get(0).message().contains("below compute.budget"), problems.get(0).message());
        assertTrue(problems.get(1).message().contains("at least 3 distinct"), problems.get(1).message());
    }

    @Test
    void aSweepIsBoundedInBudgetsAndInGridProbesOverAllBudgets() {
        List<Double> nine = List.of(1e9, 2e9, 3e9, 4e9, 5e9, 6e9, 7e9, 8e9, 9e9);
        List<Double> eight = nine.subList(0, 8);
        assertEquals(List.of("plan.sweep.budgets"), sweepFields(TOKENIZER_AND_PLAN,
                new SweepOptions(null, nine, null, null, null, null, null, null, null, null, null, null)));
        assertEquals(List.of("plan.sweep.budgets"), sweepFields(TOKENIZER_AND_PLAN,
                new SweepOptions(null, eight, null, null, 10, 7, null, null, null, null, null, null)));
        assertEquals(List.of(), sweepFields(TOKENIZER_AND_PLAN,
                new SweepOptions(null, eight, 50, null, 10, 6, null, null, null, null, null, null)));
    }

    @Test
    void aSweepNeedsTheTokenizerStageForItsProbesTokens() {
        List<SpecProblem> problems = SpecValidator.validate(new LifecycleSpec("t", null, List.of("data", "plan"),
                CORPUS, null, new LifecycleSpec.Compute(1e15, null), null, new LifecycleSpec.PlanOptions(null, null,
                new SweepOptions(null, null, null, null, null, null, null, null, null, null, null, null)),
                null, null, null, null, null));
        assertEquals(List.of("plan.sweep"), problems.stream().map(SpecProblem::field).toList());
        assertTrue(problems.get(0).message().contains("tokenizer"), problems.get(0).message());
    }

    @Test
    void evaluationOptionsAreCheckedAndEvaluateBaseNeedsPretrain() {
        List<String> all = List.of("data", "tokenizer", "plan", "pretrain", "evaluate-base");
        LifecycleSpec good = new LifecycleSpec("t", null, all, CORPUS, null, new LifecycleSpec.Compute(1e12, null), null,
                null, null, null, new LifecycleSpec.EvaluationOptions(List.of("small", "my/suite.yaml"), 10, 50, 4), null, null);
        assertEquals(List.of(), SpecValidator.validate(good));
        LifecycleSpec bad = new LifecycleSpec("t", null, List.of("data", "tokenizer", "plan", "evaluate-base"), CORPUS,
                null, new LifecycleSpec.Compute(1e12, null), null, null, null, null,
                new LifecycleSpec.EvaluationOptions(List.of(" "), 1, 0, null), null, null);
        assertEquals(List.of("evaluation.suites[0]", "evaluation.items", "evaluation.heldOutDocuments", "stages[3]"), fields(bad));
    }
}
