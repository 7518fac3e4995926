package dev.lmforge.activities.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.math.Mean;
import org.tensorflow.op.train.BatchMatMul;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;
import org.tensorflow.types.family.TNumber;

/**
 * The LLaMA-style decoder of the paper's Section 2.2 as a TensorFlow graph: token embedding, then per block
 * pre-norm RMSNorm, causal self-attention with rotary embeddings and grouped-query attention, a residual, RMSNorm,
 * a SwiGLU feed-forward network and a residual; a final RMSNorm and an untied output projection.
 *
 * <p>Its variables are created once, in the constructor; every forward pass built from it (training, serving,
 * cached decoding) shares them. Batch and sequence length are read from the token tensor at run time, so one
 * model serves any batch of up to {@code shape.seqLen()} positions.
 *
 * @param <T> the parameter type ({@link ComputePrecision#parameterType()})
 */
final class DecoderModel<T extends TFloating> {

    /** RMSNorm's epsilon, as in LLaMA (the paper does not give one); exports write it into their configs. */
    static final double NORM_EPSILON = 1e-6;

    /** Rotary embeddings' base wavelength, as in RoFormer and LLaMA (the paper does not give one). */
    static final double ROPE_BASE = 10_000;

    /** Added to the attention scores of future positions: its exponential underflows to exactly zero. */
    private static final double MASKED = -1e9;

    /** One trainable tensor; norms' gains are not weight-decayed. */
    record Parameter<T extends TFloating>(String name, Variable<T> variable, Shape shape, boolean decayed) {
    }

    /**
     * One block's weights; matrices are stored as {@code [in, out]} so that {@code x·W} maps rows. Matrices that
     * read the same input sit side by side ({@code [W_q | W_k | W_v]}, {@code [W_gate | W_up]}): one larger
     * product runs faster than several small ones.
     */
    private record Block<T extends TFloating>(Variable<T> attentionNorm, Variable<T> wQkv, Variable<T> wo,
                                              Variable<T> ffnNorm, Variable<T> wGateUp, Variable<T> wDown) {
    }

    /** Logits {@code [rows·positions, vocab]} and, per layer, every position's keys and values so far. */
    record Forward<T extends TFloating>(Operand<T> logits, List<Operand<T>> keys, List<Operand<T>> values) {
    }

    private final Ops tf;
    private final ModelShape shape;
    private final Class<T> type;
    private final Class<? extends TFloating> matmulType;
    private final double initStd;
    private final long seed;
    private final List<Parameter<T>> parameters = new ArrayList<>();
    private final Variable<T> embedding;
    private final List<Block<T>> blocks = new ArrayList<>();
    private final Variable<T> finalNorm;
    private final Variable<T> output;
    private final Operand<T> cosTable;
    private final Operand<T> sinTable;
    private final Operand<T> maskTable;

    /**
     * Creates the variables: matrices from {@code normal(0, initStd)} drawn by stateless random ops keyed by
     * {@code seed} and the variable's index, so the same seed gives the same weights; norm gains at 1.
     */
    DecoderModel(Ops tf, ModelShape shape, ComputePrecision precision, Class<T> type, double initStd, long seed) {
        if (precision.parameterType() != type) {
            throw new IllegalArgumentException("precision " + precision + " keeps parameters in "
                    + precision.parameterType().getSimpleName() + ", not " + type.getSimpleName());
        }
        this.tf = tf;
        this.shape = shape;
        this.type = type;
        this.matmulType = precision.matmulType();
        this.initStd = initStd;
        this.seed = seed;
        int d = shape.dModel();
        int kvWidth = shape.kvHeads() * shape.headDim();
        int ffn = shape.ffnHidden();
        embedding = matrix("embedding", shape.vocab(), d);
        for (int layer = 0; layer < shape.layers(); layer++) {
            String prefix = "layer" + layer + "_";
            blocks.add(new Block<>(
                    norm(prefix + "attention_norm"),
                    matrix(prefix + "w_qkv", d, d + 2L * kvWidth),
                    matrix(prefix + "wo", d, d),
                    norm(prefix + "ffn_norm"),
                    matrix(prefix + "w_gate_up", d, 2L * ffn),
                    matrix(prefix + "w_down", ffn, d)));
        }
        finalNorm = norm("final_norm");
        output = matrix("output", d, shape.vocab());
        cosTable = tf.dtypes.cast(tf.constant(rotaryTable(true)), type);
        sinTable = tf.dtypes.cast(tf.constant(rotaryTable(false)), type);
        maskTable = tf.dtypes.cast(tf.constant(causalMask()), type);
    }

    /** Every trainable variable, in creation order. */
    List<Parameter<T>> parameters() {
        return Collections.unmodifiableList(parameters);
    }

    /** Logits {@code [rows·positions, vocab]} for tokens {@code [rows, positions]} starting at position 0. */
    Operand<T> logits(Operand<TInt32> tokens) {
        return forward(tokens, tf.constant(0), null, null).logits();
    }

    /**
     * The forward pass over {@code tokens [rows, positions]} that sit at positions {@code start ..}; with
     * {@code pastKeys}/{@code pastValues} (per layer, {@code [rows, start, kvHeads, headDim]}) they attend to
     * those earlier positions too, otherwise {@code start} must be 0.
     */
    Forward<T> forward(Operand<TInt32> tokens, Operand<TInt32> start, List<Operand<T>> pastKeys,
                       List<Operand<T>> pastValues) {
        Operand<TInt32> positions = tf.gather(tf.shape(tokens), tf.constant(1), tf.constant(0));
        Operand<TInt32> keyPositions = tf.math.add(start, positions);
        // Tables for these positions: [positions, 1, headDim] broadcasts over rows and heads.
        Operand<T> cos = tf.reshape(tf.slice(cosTable, dims(start, i(0)), dims(positions, i(-1))),
                dims(positions, i(1), i(-1)));
        Operand<T> sin = tf.reshape(tf.slice(sinTable, dims(start, i(0)), dims(positions, i(-1))),
                dims(positions, i(1), i(-1)));
        Operand<T> mask = tf.slice(maskTable, dims(start, i(0)), dims(positions, keyPositions));

        Operand<T> x = tf.reshape(tf.gather(embedding, tokens, tf.constant(0)), dims(i(-1), i(shape.dModel())));
        List<Operand<T>> keys = new ArrayList<>();
        List<Operand<T>> values = new ArrayList<>();
        for (int layer = 0; layer < blocks.size(); layer++) {
            Block<T> block = blocks.get(layer);
            Operand<T> pastK = pastKeys == null ? null : pastKeys.get(layer);
            Operand<T> pastV = pastValues == null ? null : pastValues.get(layer);
            x = tf.math.add(x, attention(rmsNorm(x, block.attentionNorm()), block, positions, keyPositions,
                    cos, sin, mask, pastK, pastV, keys, values));
            x = tf.math.add(x, feedForward(rmsNorm(x, block.ffnNorm()), block));
        }
        return new Forward<>(matmul(rmsNorm(x, finalNorm), output), keys, values);
    }

    /**
     * Weighted mean next-token cross-entropy: {@code -Σ w·log p(target) / weightTotal} over every position. A
     * caller that splits one batch into micro-batches passes the whole batch's weight total, so the parts' losses
     * sum to the whole batch's.
     */
    Operand<T> loss(Operand<T> logits, Operand<TInt32> targets, Operand<T> weights, Operand<T> weightTotal) {
        Operand<T> weighted = tf.math.mul(targetLogProbabilities(logits, targets), tf.reshape(weights, dims(i(-1))));
        return tf.math.neg(tf.math.div(tf.sum(weighted, tf.constant(0)), weightTotal));
    }

    /**
     * {@code log p(target)} at every position, {@code [rows·positions]}: TensorFlow's fused sparse softmax
     * cross-entropy, whose gradient {@link TensorFlowRuntime} registers (one pass over the logits instead of a
     * log-softmax, a gather and their gradients).
     */
    Operand<T> targetLogProbabilities(Operand<T> logits, Operand<TInt32> targets) {
        TensorFlowRuntime.registerGradients();
        return tf.math.neg(tf.nn.sparseSoftmaxCrossEntropyWithLogits(logits, tf.reshape(targets, dims(i(-1))))
                .loss());
    }

    /** Grouped-query causal self-attention with rotary embeddings; appends this layer's keys and values. */
    private Operand<T> attention(Operand<T> x, Block<T> block, Operand<TInt32> positions,
                                 Operand<TInt32> keyPositions, Operand<T> cos, Operand<T> sin, Operand<T> mask,
                                 Operand<T> pastK, Operand<T> pastV, List<Operand<T>> keys,
                                 List<Operand<T>> values) {
        int kvHeads = shape.kvHeads();
        int group = shape.heads() / kvHeads;
        int headDim = shape.headDim();
        int kvWidth = kvHeads * headDim;
        List<Output<T>> qkv = tf.splitV(matmul(x, block.wQkv()),
                tf.constant(new int[] {shape.dModel(), kvWidth, kvWidth}), tf.constant(-1), 3L).output();
        // Scaling q by 1/√headDim here touches positions·headDim values rather than positions² scores.
        Operand<T> q = rotate(tf.reshape(tf.math.mul(qkv.get(0), scalar(1 / Math.sqrt(headDim))),
                dims(i(-1), positions, i(shape.heads()), i(headDim))), shape.heads(), positions, cos, sin);
        Operand<T> k = rotate(tf.reshape(qkv.get(1), dims(i(-1), positions, i(kvHeads), i(headDim))), kvHeads,
                positions, cos, sin);
        Operand<T> v = tf.reshape(qkv.get(2), dims(i(-1), positions, i(kvHeads), i(headDim)));
        if (pastK != null) {
            k = tf.concat(List.of(pastK, k), tf.constant(1));
            v = tf.concat(List.of(pastV, v), tf.constant(1));
        }
        keys.add(k);
        values.add(v);

        // Query head h reads key/value head h / group (LLaMA's repeat_kv). Rather than tile K and V group times,
        // fold each group's query heads into the query axis: [rows, kvHeads, group·positions, headDim].
        Operand<TInt32> groupedPositions = tf.math.mul(positions, i(group));
        Operand<T> qGrouped = tf.reshape(
                tf.linalg.transpose(tf.reshape(q, dims(i(-1), positions, i(kvHeads), i(group), i(headDim))),
                        tf.constant(new int[] {0, 2, 3, 1, 4})),
                dims(i(-1), i(kvHeads), groupedPositions, i(headDim)));
        Operand<T> kHeads = tf.linalg.transpose(k, tf.constant(new int[] {0, 2, 1, 3}));
        Operand<T> vHeads = tf.linalg.transpose(v, tf.constant(new int[] {0, 2, 1, 3}));

        Operand<T> scores = batchMatmul(qGrouped, kHeads, true);
        Operand<T> masked = tf.math.add(
                tf.reshape(scores, dims(i(-1), i(kvHeads), i(group), positions, keyPositions)), mask);
        Operand<T> weights = tf.reshape(tf.nn.softmax(masked),
                dims(i(-1), i(kvHeads), groupedPositions, keyPositions));
        Operand<T> attended = batchMatmul(weights, vHeads, false);
        Operand<T> merged = tf.reshape(
                tf.linalg.transpose(
                        tf.reshape(attended, dims(i(-1), i(kvHeads), i(group), positions, i(headDim))),
                        tf.constant(new int[] {0, 3, 1, 2, 4})),
                dims(i(-1), i(shape.dModel())));
        return matmul(merged, block.wo());
    }

    /** SwiGLU: {@code (silu(x·W_gate) ⊙ x·W_up)·W_down}, both input products from one matmul. */
    private Operand<T> feedForward(Operand<T> x, Block<T> block) {
        List<Output<T>> gateUp = tf.split(tf.constant(-1), matmul(x, block.wGateUp()), 2L).output();
        Operand<T> gate = gateUp.get(0);
        Operand<T> silu = tf.math.mul(gate, tf.math.sigmoid(gate));
        return matmul(tf.math.mul(silu, gateUp.get(1)), block.wDown());
    }

    /** {@code x / rms(x) · gain} over the last axis. */
    private Operand<T> rmsNorm(Operand<T> x, Variable<T> gain) {
        Operand<T> meanSquare = tf.math.mean(tf.math.square(x), tf.constant(-1), Mean.keepDims(true));
        return tf.math.mul(tf.math.mul(x, tf.math.rsqrt(tf.math.add(meanSquare, scalar(NORM_EPSILON)))), gain);
    }

    /**
     * Rotary embedding, "rotate half" form: pairs {@code (j, j + headDim/2)} of {@code x [rows, positions, heads,
     * headDim]} turn by {@code position·θ_j}: {@code x·cos + [-x2, x1]·sin}. The halves swap by one reverse, and
     * the sign sits in the table ({@code sin} is stored as {@code [-sin, sin]}).
     */
    private Operand<T> rotate(Operand<T> x, int heads, Operand<TInt32> positions, Operand<T> cos, Operand<T> sin) {
        int half = shape.headDim() / 2;
        Operand<T> swapped = tf.reshape(
                tf.reverse(tf.reshape(x, dims(i(-1), positions, i(heads), i(2), i(half))), tf.constant(new int[] {3})),
                tf.shape(x));
        return tf.math.add(tf.math.mul(x, cos), tf.math.mul(swapped, sin));
    }

    /** {@code a·b} in the matmul type, the result back in the parameter type. */
    private Operand<T> matmul(Operand<T> a, Operand<T> b) {
        return matmulIn(matmulType, a, b);
    }

    private <U extends TNumber> Operand<T> matmulIn(Class<U> computeType, Operand<T> a, Operand<T> b) {
        if (computeType == type) {
            return tf.linalg.matMul(a, b);
        }
        return tf.dtypes.cast(tf.linalg.matMul(tf.dtypes.cast(a, computeType), tf.dtypes.cast(b, computeType)),
                type);
    }

    /** Batched {@code a·b} (or {@code a·bᵀ}) over the leading axes, in the matmul type. */
    private Operand<T> batchMatmul(Operand<T> a, Operand<T> b, boolean transposeB) {
        BatchMatMul.Options adjoint = BatchMatMul.adjY(transposeB);
        if (matmulType == type) {
            return tf.train.batchMatMul(a, b, type, adjoint);
        }
        return tf.dtypes.cast(tf.train.batchMatMul(tf.dtypes.cast(a, matmulType), tf.dtypes.cast(b, matmulType),
                matmulType, adjoint), type);
    }

    private Variable<T> matrix(String name, long rows, long columns) {
        Shape dims = Shape.of(rows, columns);
        Operand<T> normal = tf.random.statelessRandomNormal(tf.constant(dims),
                tf.constant(new long[] {seed, parameters.size()}), type);
        return variable(name, tf.math.mul(normal, scalar(initStd)), dims, true);
    }

    private Variable<T> norm(String name) {
        Shape dims = Shape.of(shape.dModel());
        return variable(name, tf.ones(tf.constant(dims), type), dims, false);
    }

    private Variable<T> variable(String name, Operand<T> initialValue, Shape dims, boolean decayed) {
        Variable<T> variable = tf.withName(name).variable(initialValue);
        parameters.add(new Parameter<>(name, variable, dims, decayed));
        return variable;
    }

    /**
     * {@code cos} or {@code sin} of {@code position·θ_j}, {@code θ_j = base^(-2j/headDim)}, for both halves;
     * {@code sin} negated in the first half (see {@link #rotate}).
     */
    private double[][] rotaryTable(boolean cosine) {
        int half = shape.headDim() / 2;
        double[][] table = new double[shape.seqLen()][2 * half];
        for (int position = 0; position < shape.seqLen(); position++) {
            for (int j = 0; j < half; j++) {
                double angle = position * Math.pow(ROPE_BASE, -2.0 * j / shape.headDim());
                table[position][j] = cosine ? Math.cos(angle) : -Math.sin(angle);
                table[position][j + half] = cosine ? Math.cos(angle) : Math.sin(angle);
            }
        }
        return table;
    }

    /** 0 where a query position may see a key position (key ≤ query), {@link #MASKED} elsewhere. */
    private double[][] causalMask() {
        double[][] mask = new double[shape.seqLen()][shape.seqLen()];
        for (int query = 0; query < shape.seqLen(); query++) {
            for (int key = query + 1; key < shape.seqLen(); key++) {
                mask[query][key] = MASKED;
            }
        }
        return mask;
    }

    private Operand<T> scalar(double value) {
        return tf.dtypes.cast(tf.constant(value), type);
    }

    private Operand<TInt32> i(int value) {
        return tf.constant(value);
    }

    @SafeVarargs
    private Operand<TInt32> dims(Operand<TInt32>... parts) {
        return tf.stack(List.of(parts));
    }
}
