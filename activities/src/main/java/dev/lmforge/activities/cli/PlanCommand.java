package dev.lmforge.activities.cli;

import dev.lmforge.activities.model.BudgetPlan;
import dev.lmforge.activities.model.HardwareProfile;
import dev.lmforge.activities.model.LearningRateSchedule;
import dev.lmforge.activities.model.MemoryEstimate;
import dev.lmforge.activities.model.ModelScale;
import dev.lmforge.activities.model.ModelShape;
import dev.lmforge.activities.model.OptimizerSettings;
import dev.lmforge.activities.model.PaperLaws;
import dev.lmforge.activities.planning.BudgetPlanner;
import dev.lmforge.activities.planning.BudgetRequest;
import dev.lmforge.activities.planning.Figures;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * {@code lmforge plan}: the scaling-law maths offline.
 * <ul>
 *   <li>{@code plan model --layers L --d-model D --heads H [--kv-heads K] [--seq S] [--vocab V] [--json]}: a
 *   shape's model scale {@code M} (Eq. 2), Table 3's parameter counts and ratios, and lmforge's exact count;</li>
 *   <li>{@code plan budget --compute C [--tokens T] [--seq S] [--vocab V] [--throughput FLOPS --memory-gib G]
 *   [--json]}: the {@link BudgetPlanner}'s plan for a budget.</li>
 * </ul>
 * Human-readable by default; {@code --json} prints the {@link ModelScale} or {@link BudgetPlan} record.
 */
public final class PlanCommand implements Command {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String name() {
        return "plan";
    }

    @Override
    public String summary() {
        return "scaling-law planning: model --layers L --d-model D --heads H [--kv-heads K] [--seq S] [--vocab V] "
                + "| budget --compute C [--tokens T] [--seq S] [--vocab V] [--throughput F --memory-gib G]; [--json]";
    }

    @Override
    public Help help() {
        return Help.of("The scaling-law maths offline: a shape's model scale M (Eq. 2) and parameter counts, or the "
                + "planner's model, data, batch and learning rate for a compute budget.")
                .usage("plan model --layers L --d-model D --heads H [--kv-heads K] [--seq S] [--vocab V] [--json]")
                .usage("plan budget --compute C [--tokens T] [--seq S] [--vocab V] [--throughput F --memory-gib G] [--json]")
                .option("--layers L, --d-model D, --heads H", "model: the decoder's shape")
                .option("--kv-heads K", "model: key/value heads (default: --heads)")
                .option("--seq S, --vocab V", "context length and vocabulary (default the paper's)")
                .option("--compute C", "budget: the compute budget in FLOPs, e.g. 1e20")
                .option("--tokens T", "budget: at most this many training tokens")
                .option("--throughput F --memory-gib G", "budget: the hardware's sustained FLOP/s and memory, for a wall time and a memory check")
                .option("--json", "the ModelScale or BudgetPlan record as JSON")
                .example("lmforge plan model --layers 30 --d-model 4096 --heads 32")
                .example("lmforge plan budget --compute 1e20");
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        String what = args.positional(0, "what to plan: 'model' or 'budget'");
        Object result = switch (what) {
            case "model" -> model(args);
            case "budget" -> budget(args);
            default -> throw new Args.UsageException("unknown plan '" + what + "': use 'model' or 'budget'");
        };
        if (args.has("json")) {
            out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result));
        } else if (result instanceof ModelScale scale) {
            printModel(scale, out);
        } else {
            printPlan((BudgetPlan) result, out);
        }
        return 0;
    }

    private static ModelScale model(Args args) {
        args.allowOnly("layers", "d-model", "heads", "kv-heads", "seq", "vocab", "json");
        int heads = whole(args, "heads", null);
        return usage(() -> ModelScale.of(new ModelShape(whole(args, "layers", null), whole(args, "d-model", null),
                heads, whole(args, "kv-heads", heads), whole(args, "seq", PaperLaws.CONTEXT_LENGTH),
                whole(args, "vocab", PaperLaws.PADDED_VOCAB))));
    }

    private static BudgetPlan budget(Args args) {
        args.allowOnly("compute", "tokens", "seq", "vocab", "throughput", "memory-gib", "json");
        if (!args.has("compute")) {
            throw new Args.UsageException("missing --compute (the budget in FLOPs, e.g. 1e20)");
        }
        double compute = args.getDouble("compute", Double.NaN);
        if (args.has("throughput") != args.has("memory-gib")) {
            throw new Args.UsageException("give --throughput (sustained FLOP/s) and --memory-gib together");
        }
        Long tokens = args.has("tokens") ? (long) args.getDouble("tokens", 0) : null;
        Integer seq = args.has("seq") ? whole(args, "seq", null) : null;
        Integer vocab = args.has("vocab") ? whole(args, "vocab", null) : null;
        return usage(() -> {
            HardwareProfile hardware = args.has("throughput") ? new HardwareProfile(args.getDouble("throughput", 0),
                    (long) (args.getDouble("memory-gib", 0) * (1L << 30))) : null;
            return BudgetPlanner.plan(new BudgetRequest(compute, tokens, seq, vocab, null, hardware));
        });
    }

    /** Runs {@code body}, turning its {@link IllegalArgumentException} into bad usage (exit code 2). */
    private static <T> T usage(Supplier<T> body) {
        try {
            return body.get();
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException(e.getMessage());
        }
    }

    /** {@code --name} as a whole number; {@code fallback} when absent (null: required). */
    private static int whole(Args args, String name, Integer fallback) {
        if (!args.has(name) && fallback != null) {
            return fallback;
        }
        String text = args.require(name);
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new Args.UsageException("--" + name + " must be a whole number, not '" + text + "'");
        }
    }

    private static void printModel(ModelScale m, PrintStream out) {
        ModelShape s = m.shape();
        out.printf(Locale.ROOT, "shape          %s%n", describe(s));
        out.printf(Locale.ROOT, "M (Eq. 2)      %s FLOPs per token (72·n·d² + 12·n·d·seq)%n",
                Figures.count(m.modelScale()));
        out.printf(Locale.ROOT, "N1, N2         %s, %s (Table 3: 12·n·d², N1 + vocab·d)%n",
                Figures.count(m.nonEmbeddingParams()), Figures.count(m.totalParams()));
        out.printf(Locale.ROOT, "6N1/M, 6N2/M   %.3f, %.3f%n", m.sixN1OverM(), m.sixN2OverM());
        out.printf(Locale.ROOT, "lmforge params %s (%s outside the embedding and output matrices)%n",
                Figures.count(m.exactParams()), Figures.count(m.exactNonEmbeddingParams()));
        out.printf(Locale.ROOT, "training cost  %s FLOPs per token, output layer included%n",
                Figures.count(m.trainingFlopsPerToken()));
    }

    private static void printPlan(BudgetPlan p, PrintStream out) {
        out.printf(Locale.ROOT, "budget         C = %.3g FLOPs (laws: %s, %s)%n", p.compute(),
                p.laws().hyperparameterSource(), p.laws().allocationSource());
        out.printf(Locale.ROOT, "optimum        M_opt %s FLOPs/token, D_opt %s tokens, B_opt %s tokens, "
                + "η_opt %.3g%n", Figures.count(p.optimalModelScale()), Figures.count(p.optimalTokens()),
                Figures.count(p.optimalBatchTokens()), p.optimalLearningRate());
        out.printf(Locale.ROOT, "model          %s%n", describe(p.model().shape()));
        out.printf(Locale.ROOT, "               M %s FLOPs/token, %s parameters%n",
                Figures.count(p.model().modelScale()), Figures.count(p.model().exactParams()));
        out.printf(Locale.ROOT, "batch          %d sequences × %d = %s tokens%n", p.batchSequences(),
                p.model().shape().seqLen(), Figures.count(p.batchTokens()));
        out.printf(Locale.ROOT, "steps          %,d (%s tokens; M·D = %.3g FLOPs)%n", p.steps(),
                Figures.count(p.tokens()), p.plannedCompute());
        LearningRateSchedule s = p.schedule();
        out.printf(Locale.ROOT, "schedule       warm-up %,d step%s to %.3g", s.warmupSteps(),
                s.warmupSteps() == 1 ? "" : "s", s.peak());
        s.drops().forEach(d -> out.printf(Locale.ROOT, "; ×%s from step %,d", d.factor(), d.fromStep()));
        out.println();
        OptimizerSettings o = p.optimizer();
        out.printf(Locale.ROOT, "optimizer      AdamW β1 %s, β2 %s, weight decay %s, clip %s, init std %s%n",
                o.beta1(), o.beta2(), o.weightDecay(), o.gradientClip(), o.initStd());
        MemoryEstimate m = p.memory();
        out.printf(Locale.ROOT, "memory (fp32)  weights %s, gradients %s, AdamW %s, activations %s per sequence%n",
                Figures.bytes(m.parameterBytes()), Figures.bytes(m.gradientBytes()),
                Figures.bytes(m.optimizerStateBytes()), Figures.bytes(m.activationBytesPerSequence()));
        if (m.microBatchSequences() != null) {
            out.printf(Locale.ROOT, "               micro-batches of %d sequences, %d per step%n",
                    m.microBatchSequences(), m.accumulationSteps());
        }
        if (p.wallSeconds() != null) {
            out.printf(Locale.ROOT, "wall time      %s (%.3g training FLOPs)%n", Figures.duration(p.wallSeconds()),
                    p.trainingFlops());
        } else {
            out.printf(Locale.ROOT, "wall time      give --throughput and --memory-gib (%.3g training FLOPs)%n",
                    p.trainingFlops());
        }
        p.notes().forEach(n -> out.println("note           " + n));
    }

    private static String describe(ModelShape s) {
        return String.format(Locale.ROOT, "%d layer%s, d_model %d, %d heads (%d KV, head dim %d), seq %d, vocab %d, "
                + "SwiGLU %d", s.layers(), s.layers() == 1 ? "" : "s", s.dModel(), s.heads(), s.kvHeads(), s.headDim(),
                s.seqLen(), s.vocab(), s.ffnHidden());
    }
}
