package dev.lmforge.activities.bench;

import dev.lmforge.activities.cli.Args;
import dev.lmforge.activities.cli.Command;
import dev.lmforge.activities.cli.Help;
import dev.lmforge.activities.model.ComputePrecision;
import dev.lmforge.activities.model.DecoderTrainer;
import dev.lmforge.activities.model.ModelScale;
import dev.lmforge.activities.model.ModelShape;
import dev.lmforge.activities.model.OptimizerSettings;
import dev.lmforge.activities.model.PaperLaws;
import dev.lmforge.activities.model.TensorFlowRuntime;
import dev.lmforge.activities.model.TrainingSetup;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TFloating;

/**
 * {@code lmforge bench train [--seconds S] [--threads 1,2] [--precisions float32,bfloat16] [--shapes 0.1M,3M]
 * [--json]}: training throughput (tokens/s) of a small (about 0.1 M non-embedding parameters) and a medium (about
 * 3 M) decoder, and its model-FLOPs utilisation: achieved training FLOPs/s, counted by
 * {@link ModelScale#trainingFlopsPerToken()} (6 per matrix weight, output projection included, plus Eq. 2's
 * attention term), divided by the rate of a large matrix product in the same precision and threads that
 * TensorFlow reaches on this machine, timed in turns with the training steps so that both see the same load on a
 * shared machine. It also prints the MFU by the {@code 6·N} count (non-embedding parameters) for comparison.
 */
public final class TrainBenchCommand implements Command {

    /** The benchmarked decoders and their batch (sequences per step). */
    private record BenchShape(String label, ModelShape shape, int batch) {
    }

    private static final List<BenchShape> SHAPES = List.of(
            new BenchShape("0.1M", new ModelShape(2, 64, 4, 2, 128, 1024), 32),
            new BenchShape("3M", new ModelShape(4, 256, 4, 2, 256, 4096), 16));

    /** Side of the square matrices whose product sets the reference FLOP rate. */
    private static final int MATMUL_SIDE = 1024;

    /** Products chained in one session call, so call overhead does not count. */
    private static final int MATMUL_CHAIN = 8;

    /** Untimed steps first: the first call optimises the graph and allocates. */
    private static final int WARMUP_STEPS = 2;

    @Override
    public String name() {
        return "bench-train";
    }

    @Override
    public String summary() {
        return "decoder training throughput (tokens/s) and MFU against TensorFlow's own matmul rate";
    }

    @Override
    public Help help() {
        return Help.of("Training throughput (tokens/s) of a small and a medium decoder and its model-FLOPs utilisation "
                + "against the matrix-product rate TensorFlow reaches here, timed in turns.")
                .usage("bench train [--seconds S] [--threads 1,2] [--precisions float32,bfloat16] [--shapes 0.1M,3M] [--json]")
                .option("--seconds S", "how long each configuration trains (default 5)")
                .option("--threads LIST", "intra-op thread counts to measure (default 1 and all cores)")
                .option("--precisions LIST", "float32, bfloat16 or both")
                .option("--shapes LIST", "0.1M, 3M or both")
                .option("--json", "the figures as JSON")
                .example("lmforge bench train --seconds 10 --shapes 3M");
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        args.allowOnly("seconds", "threads", "precisions", "shapes", "json");
        double seconds = args.getDouble("seconds", 5);
        if (!(seconds > 0)) {
            throw new Args.UsageException("--seconds must be positive");
        }
        int cores = Runtime.getRuntime().availableProcessors();
        List<Integer> threadCounts = new ArrayList<>();
        for (String word : args.get("threads", "1," + cores).split(",")) {
            try {
                threadCounts.add(Integer.parseInt(word.trim()));
            } catch (NumberFormatException e) {
                throw new Args.UsageException("--threads takes a comma-separated list of counts, not '" + word + "'");
            }
        }
        List<ComputePrecision> precisions = new ArrayList<>();
        for (String word : args.get("precisions", "float32,bfloat16").split(",")) {
            try {
                precisions.add(ComputePrecision.valueOf(word.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new Args.UsageException("--precisions takes float32, bfloat16 or float64, not '" + word + "'");
            }
        }
        List<BenchShape> shapes = new ArrayList<>();
        for (String word : args.get("shapes", "0.1M,3M").split(",")) {
            shapes.add(SHAPES.stream().filter(b -> b.label().equalsIgnoreCase(word.trim())).findFirst()
                    .orElseThrow(() -> new Args.UsageException("--shapes takes 0.1M and/or 3M, not '" + word + "'")));
        }
        boolean json = args.has("json");

        if (!json) {
            out.printf("cores: %d; MFU = tokens/s x ModelScale.trainingFlopsPerToken / the rate of %d chained "
                    + "%dx%d matmuls in the same precision and threads, timed in turns with the training steps%n",
                    cores, MATMUL_CHAIN, MATMUL_SIDE, MATMUL_SIDE);
            out.printf("%-5s %9s %7s %-9s %7s %10s %10s %10s %6s %6s%n", "shape", "nonEmbN", "tokens", "precision",
                    "threads", "tokens/s", "GFLOP/s", "mm GFLOP/s", "MFU", "6N-MFU");
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (BenchShape bench : shapes) {
            ModelScale scale = ModelScale.of(bench.shape());
            for (ComputePrecision precision : precisions) {
                for (int threads : threadCounts) {
                    Rates rates = measure(bench, precision, threads, seconds);
                    double matmulRate = rates.matmulFlopsPerSecond();
                    double tokensPerSecond = rates.tokensPerSecond();
                    double flops = tokensPerSecond * scale.trainingFlopsPerToken();
                    double sixN = tokensPerSecond * PaperLaws.FLOPS_PER_PARAMETER_PER_TOKEN
                            * scale.exactNonEmbeddingParams();
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("shape", bench.label());
                    row.put("layers", bench.shape().layers());
                    row.put("dModel", bench.shape().dModel());
                    row.put("heads", bench.shape().heads());
                    row.put("kvHeads", bench.shape().kvHeads());
                    row.put("seqLen", bench.shape().seqLen());
                    row.put("vocab", bench.shape().vocab());
                    row.put("batch", bench.batch());
                    row.put("nonEmbeddingParams", scale.exactNonEmbeddingParams());
                    row.put("params", scale.exactParams());
                    row.put("precision", precision.name().toLowerCase(Locale.ROOT));
                    row.put("threads", threads);
                    row.put("tokensPerSecond", tokensPerSecond);
                    row.put("trainingFlopsPerToken", scale.trainingFlopsPerToken());
                    row.put("achievedFlopsPerSecond", flops);
                    row.put("matmulFlopsPerSecond", matmulRate);
                    row.put("mfu", flops / matmulRate);
                    row.put("sixNonEmbeddingNMfu", sixN / matmulRate);
                    rows.add(row);
                    if (!json) {
                        out.printf("%-5s %9d %7d %-9s %7d %10.0f %10.1f %10.1f %5.1f%% %5.1f%%%n", bench.label(),
                                scale.exactNonEmbeddingParams(), bench.batch() * bench.shape().seqLen(),
                                precision.name().toLowerCase(Locale.ROOT), threads, tokensPerSecond, flops / 1e9,
                                matmulRate / 1e9, 100 * flops / matmulRate, 100 * sixN / matmulRate);
                    }
                }
            }
        }
        if (json) {
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("cores", cores);
            report.put("flopCount", "ModelScale.trainingFlopsPerToken: 6 per matrix weight incl. the output "
                    + "projection + Eq. 2's 12·n_layer·d_model·l_seq attention term");
            report.put("runs", rows);
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
        }
        return 0;
    }

    /** Training throughput and the reference matmul rate, measured side by side. */
    private record Rates(double tokensPerSecond, double matmulFlopsPerSecond) {
    }

    /**
     * Alternates full optimizer steps (forward, backward, AdamW on random tokens) with chained matrix products for
     * as long again, for about {@code seconds} of each: on a shared machine both figures then see the same load.
     */
    private static Rates measure(BenchShape bench, ComputePrecision precision, int threads, double seconds) {
        ModelShape shape = bench.shape();
        TrainingSetup setup = new TrainingSetup(shape, OptimizerSettings.paper(), bench.batch(), 1, precision, 1,
                threads, null);
        SplittableRandom random = new SplittableRandom(1);
        int[] tokens = new int[bench.batch() * (shape.seqLen() + 1)];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = random.nextInt(shape.vocab());
        }
        try (DecoderTrainer trainer = new DecoderTrainer(setup);
             MatmulChain matmuls = new MatmulChain(precision.matmulType(), threads)) {
            for (int i = 0; i < WARMUP_STEPS; i++) {
                trainer.step(tokens, null, 1e-4);
                matmuls.run();
            }
            long trainingNanos = 0;
            long matmulNanos = 0;
            double matmulFlops = 0;
            int steps = 0;
            while (steps < 3 || trainingNanos < seconds * 1e9) {
                long start = System.nanoTime();
                trainer.step(tokens, null, 1e-4);
                trainingNanos += System.nanoTime() - start;
                steps++;
                while (matmulNanos < trainingNanos) {
                    long before = System.nanoTime();
                    matmulFlops += matmuls.run();
                    matmulNanos += System.nanoTime() - before;
                }
            }
            return new Rates(steps * (double) bench.batch() * shape.seqLen() / (trainingNanos / 1e9),
                    matmulFlops / (matmulNanos / 1e9));
        }
    }

    /** A chain of square matrix products in one precision; each {@link #run} returns the FLOPs it did. */
    private static final class MatmulChain implements AutoCloseable {

        private final Graph graph = new Graph();
        private final Session session;
        private final Op product;

        MatmulChain(Class<? extends TFloating> type, int threads) {
            product = build(Ops.create(graph), type);
            session = new Session(graph, TensorFlowRuntime.sessionConfig(threads));
        }

        private static <T extends TFloating> Op build(Ops tf, Class<T> type) {
            // Variables, not constants, so that graph optimisation cannot fold the products away.
            Operand<T> a = tf.variable(tf.dtypes.cast(tf.random.statelessRandomNormal(
                    tf.constant(new int[] {MATMUL_SIDE, MATMUL_SIDE}), tf.constant(new long[] {1, 2}),
                    TFloat32.class), type));
            Operand<T> b = tf.variable(tf.dtypes.cast(tf.math.mul(tf.random.statelessRandomNormal(
                    tf.constant(new int[] {MATMUL_SIDE, MATMUL_SIDE}), tf.constant(new long[] {3, 4}),
                    TFloat32.class), tf.constant((float) (1 / Math.sqrt(MATMUL_SIDE)))), type));
            MatMul<T> product = tf.linalg.matMul(a, b);
            for (int i = 1; i < MATMUL_CHAIN; i++) {
                product = tf.linalg.matMul(product, b);
            }
            return product;
        }

        double run() {
            session.runner().addTarget(product).run().close();
            return 2.0 * MATMUL_SIDE * MATMUL_SIDE * MATMUL_SIDE * MATMUL_CHAIN;
        }

        @Override
        public void close() {
            session.close();
            graph.close();
        }
    }
}
