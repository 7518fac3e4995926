package dev.lmforge.workflows.spec;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.workflows.stage.CorpusSource;
import dev.lmforge.workflows.stage.Outputs;
import dev.lmforge.workflows.stage.Stage;
import dev.lmforge.workflows.sweep.SweepOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The rules a {@link LifecycleSpec} must meet before anything is stored or started. The API and the console
 * use the same rules; every problem names its field.
 */
public final class SpecValidator {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SpecValidator() {
    }

    /** Every problem with {@code spec}; empty when it may run. */
    public static List<SpecProblem> validate(LifecycleSpec spec) {
        List<SpecProblem> problems = new ArrayList<>();
        if (spec.name() != null && (spec.name().isBlank() || spec.name().length() > 200)) {
            problems.add(new SpecProblem("name", "must be 1 to 200 characters"));
        }
        checkStages(spec, problems);
        if (spec.model() != null && !spec.model().isNull()) {
            problems.add(new SpecProblem("model", "shape overrides are not built yet in this version of lmforge; "
                    + "the plan stage chooses the model from compute.budget"));
        }
        List<Stage> stages = problems.isEmpty() ? spec.stageList() : List.of();
        if (stages.contains(Stage.DATA) || spec.corpus() != null) {
            checkCorpus(spec.corpus(), problems);
        }
        checkData(spec.data(), problems);
        checkCompute(spec.compute(), stages.contains(Stage.PLAN), problems);
        checkPlan(spec.plan(), problems);
        if (spec.plan() != null && spec.plan().sweep() != null) {
            checkSweep(spec.plan().sweep(), spec.compute(), stages, problems);
        }
        checkTokenizer(spec.tokenizer(), problems);
        checkTraining(spec.training(), problems);
        checkEvaluation(spec.evaluation(), problems);
        checkAlignment(spec.sft(), spec.dpo(), problems);
        checkOrder(spec, stages, problems);
        return problems;
    }

    /**
     * Each stage needs the stages that produce what it requires ({@link Stage#needs()}) before it. A missing stage is
     * named once, by the first stage that needs it: a later one that needs it too says nothing new.
     */
    private static void checkOrder(LifecycleSpec spec, List<Stage> stages, List<SpecProblem> problems) {
        Set<Stage> named = new HashSet<>();
        for (Stage stage : stages) {
            List<Stage> missing = stage.needs().stream().filter(s -> !stages.contains(s)).toList();
            if (!missing.isEmpty() && named.addAll(missing)) {
                List<String> ids = missing.stream().map(Stage::id).toList();
                String list = ids.size() == 1 ? ids.get(0) : String.join(", ", ids.subList(0, ids.size() - 1))
                        + " and " + ids.get(ids.size() - 1);
                problems.add(new SpecProblem(stageField(spec, stage), stage.id() + " needs the " + list
                        + (ids.size() == 1 ? " stage" : " stages") + " before it"));
            }
        }
    }

    /** {@code stages[i]} where the spec lists {@code stage}, or {@code stages} when it lists none (all of them). */
    private static String stageField(LifecycleSpec spec, Stage stage) {
        int index = spec.stages() == null ? -1 : spec.stages().indexOf(stage.id());
        return index < 0 ? "stages" : "stages[" + index + "]";
    }

    private static void checkStages(LifecycleSpec spec, List<SpecProblem> problems) {
        if (spec.stages() == null) {
            return;
        }
        if (spec.stages().isEmpty()) {
            problems.add(new SpecProblem("stages", "must name at least one stage"));
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < spec.stages().size(); i++) {
            String id = spec.stages().get(i);
            String field = "stages[" + i + "]";
            Optional<Stage> stage = id == null ? Optional.empty() : Stage.byId(id);
            if (stage.isEmpty()) {
                problems.add(new SpecProblem(field, "unknown stage '" + id + "'; known: " + knownStages()));
            } else if (!seen.add(id)) {
                problems.add(new SpecProblem(field, "stage '" + id + "' is listed twice"));
            }
        }
    }

    private static void checkCorpus(LifecycleSpec.Corpus corpus, List<SpecProblem> problems) {
        if (corpus == null || corpus.sources() == null || corpus.sources().isEmpty()) {
            problems.add(new SpecProblem("corpus.sources", "the data stage needs at least one corpus source"));
            return;
        }
        for (int i = 0; i < corpus.sources().size(); i++) {
            CorpusSource source = corpus.sources().get(i);
            String field = "corpus.sources[" + i + "]";
            if (source == null) {
                problems.add(new SpecProblem(field, "must not be empty"));
            } else if (source.path() == null || source.path().isBlank()) {
                problems.add(new SpecProblem(field + ".path", "is required"));
            }
        }
    }

    private static void checkCompute(LifecycleSpec.Compute compute, boolean required, List<SpecProblem> problems) {
        if (compute == null || compute.budget() == null) {
            if (required) {
                problems.add(new SpecProblem("compute.budget", "the plan stage needs a compute budget in FLOPs"));
            }
            return;
        }
        double c = compute.budget();
        if (!(c >= MIN_COMPUTE_BUDGET && c <= MAX_COMPUTE_BUDGET)) {
            problems.add(new SpecProblem("compute.budget", "must be a number of FLOPs from " + MIN_COMPUTE_BUDGET
                    + " to " + MAX_COMPUTE_BUDGET + ", got " + c));
        }
        if (compute.tokens() != null && (compute.tokens() < 1 || compute.tokens() > MAX_TOKENS)) {
            problems.add(new SpecProblem("compute.tokens", "must be from 1 to " + MAX_TOKENS + " tokens, got "
                    + compute.tokens()));
        }
    }

    private static void checkPlan(LifecycleSpec.PlanOptions plan, List<SpecProblem> problems) {
        if (plan == null) {
            return;
        }
        if (plan.seqLen() != null && (plan.seqLen() < 1 || plan.seqLen() > MAX_SEQ_LEN)) {
            problems.add(new SpecProblem("plan.seqLen", "must be from 1 to " + MAX_SEQ_LEN + ", got " + plan.seqLen()));
        }
        vocabulary("plan.vocab", plan.vocab(), problems);
    }

    /**
     * The smallest compute budget: below it even the smallest shape a plan builds (one block of width 64, about
     * 3.4e5 FLOPs per token) would train on a few thousand tokens, a handful of sequences with nothing to learn.
     */
    static final double MIN_COMPUTE_BUDGET = 1e9;

    /**
     * The largest: some 10,000 times the paper's largest run (67B parameters on 2T tokens, about 1e24 FLOPs), and
     * below the budget (about 1e29) whose M_opt outgrows the widest shape the planner builds.
     */
    static final double MAX_COMPUTE_BUDGET = 1e28;

    /** 500 times the paper's 2 trillion tokens: token counts and the planner's step arithmetic stay far from overflow. */
    static final long MAX_TOKENS = 1_000_000_000_000_000L;

    /** 32 times the paper's 4096-token context; attention memory grows with its square (heads·seqLen² per block). */
    static final int MAX_SEQ_LEN = 131_072;

    /** A byte-level BPE vocabulary holds the 256 byte tokens and at least one more. */
    static final int MIN_VOCAB = 257;

    /**
     * Ten times the paper's padded 102,400: beyond it the embedding and output matrices (vocab·d_model each)
     * dwarf the blocks of any shape the planner builds, and BPE training needs one merge pass per token.
     */
    static final int MAX_VOCAB = 1 << 20;

    /**
     * The fewest token ids a shard holds: every shard is one stored object with its ledger row, so {@code 1} would
     * make one of each per token. 64 ids keep a shard's bytes above its row's and still let a test corpus of a few
     * thousand tokens span many shards (the cancel test uses 100).
     */
    static final long MIN_TOKENS_PER_SHARD = 64;

    /**
     * The most: 16 times the default 64 Mi. A shard is written whole to the worker's scratch disk and stored as one
     * object, 2 to 4 GiB at this size (uint16 or uint32 ids).
     */
    static final long MAX_TOKENS_PER_SHARD = 1L << 30;

    private static void vocabulary(String field, Integer vocab, List<SpecProblem> problems) {
        if (vocab != null && (vocab < MIN_VOCAB || vocab > MAX_VOCAB)) {
            problems.add(new SpecProblem(field, "must be from " + MIN_VOCAB + " (the 256 byte tokens and more) to "
                    + MAX_VOCAB + ", got " + vocab));
        }
    }

    /** A parabola through each budget's IsoFLOP losses needs three points, and so does each grid's optimum. */
    private static final int MIN_PROBES_PER_BUDGET = 3;

    /** Three budgets leave the power-law fits a spare degree of freedom, hence standard errors. */
    private static final int MIN_SWEEP_BUDGETS = 3;

    /** Bounds on the fan-out of one budget, so that a typo cannot start thousands of probe runs. */
    private static final int MAX_SPLITS = 50;
    private static final int MAX_GRID_SIDE = 10;
    /**
     * Bounds on the whole sweep, from what a real Temporal server enforces: each kind's design (every probe's plan,
     * about 2.3 KB of JSON each) is one activity result, capped at 2 MB, and every probe adds three to six events
     * to the sweep's history, capped at 51,200. 500 probes a kind keep the design near 1.1 MB and the history under
     * 6,000 events ({@code ScalingSweepWorkflowLimitsTest} runs the widest sweep these allow). Before these bounds,
     * a list of budgets of any length was accepted.
     */
    static final int MAX_SWEEP_BUDGETS = 8;
    static final int MAX_PROBES_PER_KIND = 500;

    private static void checkSweep(SweepOptions sweep, LifecycleSpec.Compute compute, List<Stage> stages,
                                   List<SpecProblem> problems) {
        Checks c = new Checks("plan.sweep.", problems);
        if (!stages.isEmpty() && Stage.producerOf(Outputs.TOKENS, Stage.PLAN).filter(stages::contains).isEmpty()) {
            problems.add(new SpecProblem("plan.sweep", "the probe runs train on the corpus tokens, so the tokenizer "
                    + "stage must run before plan"));
        }
        c.oneOf("kind", sweep.kind(), SweepOptions.KINDS);
        if (sweep.budgets() != null) {
            Double target = compute == null ? null : compute.budget();
            for (int i = 0; i < sweep.budgets().size(); i++) {
                Double b = sweep.budgets().get(i);
                String field = "budgets[" + i + "]";
                if (b == null || !(b > 0) || b.isInfinite()) {
                    c.rule(field, false, "must be a positive, finite number of FLOPs, got " + b);
                } else {
                    c.rule(field, target == null || !(target > 0) || b < target,
                            "must be below compute.budget (" + target + "): probes are small runs, got " + b);
                }
            }
            c.rule("budgets", sweep.budgets().stream().distinct().count() >= MIN_SWEEP_BUDGETS,
                    "needs at least " + MIN_SWEEP_BUDGETS + " distinct budgets so that the fitted exponents have "
                            + "uncertainties, got " + sweep.budgets().size());
            c.rule("budgets", sweep.budgets().size() <= MAX_SWEEP_BUDGETS,
                    "takes at most " + MAX_SWEEP_BUDGETS + " budgets, got " + sweep.budgets().size());
            if (sweep.batchSizes() != null && sweep.learningRates() != null) {
                long grid = (long) sweep.budgets().size() * sweep.batchSizes() * sweep.learningRates();
                c.rule("budgets", grid <= MAX_PROBES_PER_KIND, "budgets × batchSizes × learningRates must be at most "
                        + MAX_PROBES_PER_KIND + " probe runs (their plans pass through Temporal in one piece), got " + grid);
            }
        }
        c.atLeast("splits", sweep.splits(), MIN_PROBES_PER_BUDGET);
        c.atMost("splits", sweep.splits(), MAX_SPLITS);
        c.factor("span", sweep.span());
        c.factor("ratio", sweep.ratio());
        c.atLeast("batchSizes", sweep.batchSizes(), 1);
        c.atMost("batchSizes", sweep.batchSizes(), MAX_GRID_SIDE);
        c.atLeast("learningRates", sweep.learningRates(), 1);
        c.atMost("learningRates", sweep.learningRates(), MAX_GRID_SIDE);
        if (sweep.batchSizes() != null && sweep.learningRates() != null && sweep.batchSizes() > 0
                && sweep.learningRates() > 0) {
            c.rule("learningRates", sweep.batchSizes() * sweep.learningRates() >= MIN_PROBES_PER_BUDGET,
                    "batchSizes × learningRates must make at least " + MIN_PROBES_PER_BUDGET + " runs per budget, got "
                            + sweep.batchSizes() * sweep.learningRates());
        }
        c.rule("margin", sweep.margin() == null || (sweep.margin() >= 0 && sweep.margin() < 1),
                "must be a fraction in [0, 1), got " + sweep.margin());
        c.atLeast("heldOutRows", sweep.heldOutRows(), 1);
        c.atLeast("threads", sweep.threads(), 1);
        c.oneOf("queue", sweep.queue(), List.of(SweepOptions.CPU_QUEUE, SweepOptions.GPU_QUEUE));
    }

    private static void checkTraining(LifecycleSpec.TrainingOptions training, List<SpecProblem> problems) {
        if (training == null) {
            return;
        }
        if (training.schedule() != null && !List.of("multi-step", "cosine").contains(training.schedule())) {
            problems.add(new SpecProblem("training.schedule", "must be multi-step or cosine, got " + training.schedule()));
        }
        if (training.precision() != null && !List.of("float32", "bfloat16").contains(training.precision())) {
            problems.add(new SpecProblem("training.precision", "must be float32 or bfloat16, got " + training.precision()));
        }
        positive("training.microBatchSequences", training.microBatchSequences(), problems);
        positive("training.threads", training.threads(), problems);
        positive("training.checkpointSteps", training.checkpointSteps(), problems);
        positive("training.keepCheckpoints", training.keepCheckpoints(), problems);
        Double minutes = training.checkpointMinutes();
        if (minutes != null && !(minutes > 0 && Double.isFinite(minutes))) {
            problems.add(new SpecProblem("training.checkpointMinutes", "must be a positive number of minutes, got " + minutes));
        }
        if (training.extendFrom() != null && !training.extendFrom().matches("[0-9a-f]{64}")) {
            problems.add(new SpecProblem("training.extendFrom",
                    "must be the SHA-256 digest (64 hex digits) of a boundary checkpoint, got " + training.extendFrom()));
        }
    }

    private static void checkEvaluation(LifecycleSpec.EvaluationOptions evaluation, List<SpecProblem> problems) {
        if (evaluation == null) {
            return;
        }
        List<String> suites = evaluation.suites() == null ? List.of() : evaluation.suites();
        for (int i = 0; i < suites.size(); i++) {
            if (suites.get(i) == null || suites.get(i).isBlank()) {
                problems.add(new SpecProblem("evaluation.suites[" + i + "]", "must name a suite: small, or a file path"));
            }
        }
        if (evaluation.items() != null && evaluation.items() < 2) {
            problems.add(new SpecProblem("evaluation.items", "must be at least 2, got " + evaluation.items()));
        }
        positive("evaluation.heldOutDocuments", evaluation.heldOutDocuments(), problems);
        positive("evaluation.batchSize", evaluation.batchSize(), problems);
    }

    private static void checkAlignment(LifecycleSpec.SftOptions sft, LifecycleSpec.DpoOptions dpo,
                                       List<SpecProblem> problems) {
        if (sft != null) {
            positive("sft.epochs", sft.epochs(), problems);
            positiveFinite("sft.learningRate", sft.learningRate(), problems);
            schedule("sft.schedule", sft.schedule(), problems);
            if (sft.batchSequences() != null && (sft.batchSequences() < 2 || sft.batchSequences() % 2 != 0)) {
                problems.add(new SpecProblem("sft.batchSequences", "must be even and at least 2, got " + sft.batchSequences()));
            }
            notBlank("sft.data", sft.data(), problems);
        }
        if (dpo != null) {
            positiveFinite("dpo.beta", dpo.beta(), problems);
            positive("dpo.epochs", dpo.epochs(), problems);
            positiveFinite("dpo.learningRate", dpo.learningRate(), problems);
            schedule("dpo.schedule", dpo.schedule(), problems);
            if (dpo.heldOutFraction() != null && !(dpo.heldOutFraction() > 0 && dpo.heldOutFraction() < 1)) {
                problems.add(new SpecProblem("dpo.heldOutFraction", "must lie strictly between 0 and 1, got "
                        + dpo.heldOutFraction()));
            }
            notBlank("dpo.data", dpo.data(), problems);
        }
    }

    private static void schedule(String field, String value, List<SpecProblem> problems) {
        if (value != null && !List.of("cosine", "constant").contains(value)) {
            problems.add(new SpecProblem(field, "must be cosine or constant, got " + value));
        }
    }

    private static void positiveFinite(String field, Double value, List<SpecProblem> problems) {
        if (value != null && !(value > 0 && Double.isFinite(value))) {
            problems.add(new SpecProblem(field, "must be a positive number, got " + value));
        }
    }

    private static void notBlank(String field, String value, List<SpecProblem> problems) {
        if (value != null && value.isBlank()) {
            problems.add(new SpecProblem(field, "must name a file on the compute worker"));
        }
    }

    private static void positive(String field, Integer value, List<SpecProblem> problems) {
        if (value != null && value <= 0) {
            problems.add(new SpecProblem(field, "must be positive, got " + value));
        }
    }

    private static void checkTokenizer(LifecycleSpec.TokenizerOptions tokenizer, List<SpecProblem> problems) {
        if (tokenizer == null) {
            return;
        }
        vocabulary("tokenizer.vocabSize", tokenizer.vocabSize(), problems);
        if (tokenizer.sampleBytes() != null && tokenizer.sampleBytes() <= 0) {
            problems.add(new SpecProblem("tokenizer.sampleBytes", "must be positive, got " + tokenizer.sampleBytes()));
        }
        Long perShard = tokenizer.tokensPerShard();
        if (perShard != null && (perShard < MIN_TOKENS_PER_SHARD || perShard > MAX_TOKENS_PER_SHARD)) {
            problems.add(new SpecProblem("tokenizer.tokensPerShard", "must be from " + MIN_TOKENS_PER_SHARD + " to "
                    + MAX_TOKENS_PER_SHARD + " token ids a shard, got " + perShard));
        }
    }

    /** The data options' ranges ({@link DataSettings}); a rule across settings waits until the spec gives all. */
    private static void checkData(LifecycleSpec.DataOptions data, List<SpecProblem> problems) {
        if (data != null) {
            problems.addAll(DataSettings.problems("data.", JSON.valueToTree(data), false));
        }
    }

    /** Range checks that add a problem naming {@code prefix + field}. */
    private record Checks(String prefix, List<SpecProblem> problems) {

        void rule(String field, boolean ok, String message) {
            if (!ok) {
                problems.add(new SpecProblem(prefix + field, message));
            }
        }

        void atLeast(String field, Number value, long min) {
            rule(field, value == null || value.longValue() >= min, "must be at least " + min + ", got " + value);
        }

        void atMost(String field, Number value, long max) {
            rule(field, value == null || value.longValue() <= max, "must be at most " + max + ", got " + value);
        }

        void factor(String field, Double value) {
            rule(field, value == null || (value > 1 && !value.isInfinite()), "must be a finite factor above 1, got " + value);
        }

        void oneOf(String field, String value, List<String> allowed) {
            rule(field, value == null || allowed.contains(value), "must be one of " + allowed + ", got '" + value + "'");
        }
    }

    private static String knownStages() {
        return String.join(", ", Arrays.stream(Stage.values()).map(Stage::id).toList());
    }
}
