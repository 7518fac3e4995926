package dev.lmforge.activities.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/**
 * A trained {@link DecoderModel} read from a {@link DecoderTrainer#save} directory, as evaluation and alignment
 * see it. Scoring runs full forward passes over padded batches; decoding runs a second graph that takes the keys
 * and values of earlier positions as fed tensors and returns them extended by the new positions, so each
 * appended token costs one position's forward pass.
 */
public final class DecoderLanguageModel implements LanguageModel {

    /** The key of the SavedModel's serving signature. */
    public static final String SERVING_SIGNATURE = "serving_default";

    private final TrainingSetup setup;
    private final Graph graph;
    private final Session session;
    private final Placeholder<TInt32> inputs;
    private final Placeholder<TInt32> targets;
    private final Placeholder<TInt32> decodeTokens;
    private final Placeholder<TInt32> decodeStart;
    private final InferenceOps ops;

    /** The graph's handles, free of the parameter type; keys and values come one per layer. */
    private record InferenceOps(Operand<TFloat32> targetLogProbabilities, Operand<TFloat32> logits,
                                List<Operand<?>> pastKeys, List<Operand<?>> pastValues,
                                Operand<TFloat32> nextLogProbabilities, List<Operand<?>> keys,
                                List<Operand<?>> values, List<ParameterOps> parameters) {
    }

    /** One variable: its name and shape, its value as float32, and an assignment from a fed float32 tensor. */
    private record ParameterOps(String name, Shape shape, Operand<TFloat32> value, Placeholder<TFloat32> feed,
                                Op assign) {
    }

    /**
     * Builds the model of {@code setup} (its shape, precision, threads and device; batch sizes are the scoring
     * batch) and reads its weights from {@code checkpoint}, a {@link DecoderTrainer#save} directory or a
     * SavedModel's {@code variables} folder (only the model's variables are read; optimizer state is ignored).
     */
    public DecoderLanguageModel(TrainingSetup setup, Path checkpoint) {
        this(setup);
        try {
            Path index = checkpoint.resolve(DecoderTrainer.CHECKPOINT_PREFIX + ".index");
            if (!Files.isRegularFile(index)) {
                throw new IllegalArgumentException("no checkpoint in " + checkpoint + ": " + index + " is missing");
            }
            session.restore(checkpoint.resolve(DecoderTrainer.CHECKPOINT_PREFIX).toString());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Where {@link #ofWeights} reads each variable's values, row-major in lmforge's layout. */
    @FunctionalInterface
    interface WeightSource {
        float[] values(String variable, Shape shape) throws IOException;
    }

    /** The model of {@code setup} with the weights {@code source} gives for each variable. */
    static DecoderLanguageModel ofWeights(TrainingSetup setup, WeightSource source) throws IOException {
        DecoderLanguageModel model = new DecoderLanguageModel(setup);
        try {
            for (ParameterOps parameter : model.ops.parameters()) {
                float[] values = source.values(parameter.name(), parameter.shape());
                if (values.length != parameter.shape().size()) {
                    throw new IllegalArgumentException(parameter.name() + " needs " + parameter.shape().size()
                            + " values, not " + values.length);
                }
                try (TFloat32 tensor = TFloat32.tensorOf(parameter.shape(), DataBuffers.of(values, true, false))) {
                    model.session.runner().feed(parameter.feed(), tensor).addTarget(parameter.assign()).run();
                }
            }
            return model;
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private DecoderLanguageModel(TrainingSetup setup) {
        this.setup = setup;
        this.graph = new Graph();
        try {
            Ops tf = Ops.create(graph);
            if (setup.deviceSpec() != null) {
                tf = tf.withDevice(setup.deviceSpec());
            }
            inputs = tf.placeholder(TInt32.class);
            targets = tf.placeholder(TInt32.class);
            decodeTokens = tf.placeholder(TInt32.class);
            decodeStart = tf.placeholder(TInt32.class);
            ops = build(tf, setup.precision().parameterType());
            session = new Session(graph, TensorFlowRuntime.sessionConfig(setup.threads()));
        } catch (RuntimeException e) {
            graph.close();
            throw e;
        }
    }

    private <T extends TFloating> InferenceOps build(Ops tf, Class<T> type) {
        DecoderModel<T> model = new DecoderModel<>(tf, setup.shape(), setup.precision(), type,
                setup.optimizer().initStd(), setup.seed());
        Operand<T> logits = model.logits(inputs);
        Operand<TFloat32> scored = tf.dtypes.cast(model.targetLogProbabilities(logits, targets), TFloat32.class);
        Operand<TInt32> logitsShape = tf.concat(List.of(tf.shape(inputs),
                tf.constant(new int[] {setup.shape().vocab()})), tf.constant(0));
        Operand<TFloat32> servingLogits = tf.dtypes.cast(tf.reshape(logits, logitsShape), TFloat32.class);
        List<ParameterOps> parameters = new ArrayList<>();
        for (DecoderModel.Parameter<T> parameter : model.parameters()) {
            Placeholder<TFloat32> feed = tf.placeholder(TFloat32.class);
            parameters.add(new ParameterOps(parameter.name(), parameter.shape(),
                    tf.dtypes.cast(parameter.variable(), TFloat32.class), feed,
                    tf.assign(parameter.variable(), tf.dtypes.cast(feed, type))));
        }

        List<Operand<T>> pastKeys = new ArrayList<>();
        List<Operand<T>> pastValues = new ArrayList<>();
        for (int layer = 0; layer < setup.shape().layers(); layer++) {
            pastKeys.add(tf.placeholder(type));
            pastValues.add(tf.placeholder(type));
        }
        DecoderModel.Forward<T> step = model.forward(decodeTokens, decodeStart, pastKeys, pastValues);
        Operand<TInt32> last = tf.math.sub(tf.gather(tf.shape(step.logits()), tf.constant(0), tf.constant(0)),
                tf.constant(1));
        Operand<TFloat32> next = tf.dtypes.cast(
                tf.gather(tf.nn.logSoftmax(step.logits()), last, tf.constant(0)), TFloat32.class);
        return new InferenceOps(scored, servingLogits, List.copyOf(pastKeys), List.copyOf(pastValues), next,
                List.copyOf(step.keys()), List.copyOf(step.values()), List.copyOf(parameters));
    }

    /** The model's shape. */
    public ModelShape shape() {
        return setup.shape();
    }

    /** Every variable's name and shape, in creation order. */
    Map<String, Shape> variables() {
        Map<String, Shape> variables = new LinkedHashMap<>();
        ops.parameters().forEach(p -> variables.put(p.name(), p.shape()));
        return variables;
    }

    /** The values of variable {@code name}, row-major, as float32. */
    float[] weights(String name) {
        ParameterOps parameter = ops.parameters().stream().filter(p -> p.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("the model has no variable " + name));
        try (Result result = session.runner().fetch(parameter.value()).run()) {
            float[] values = new float[Math.toIntExact(parameter.shape().size())];
            ((TFloat32) result.get(0)).copyTo(DataBuffers.of(values, false, false));
            return values;
        }
    }

    /**
     * Writes a TensorFlow SavedModel holding only what serving needs, the model's weights and its forward pass
     * (no optimizer state, no gradients): its {@value #SERVING_SIGNATURE} signature maps
     * {@code tokens} (int32 {@code [batch, positions]}, positions up to seqLen) to {@code logits} (float32
     * {@code [batch, positions, vocab]}).
     */
    public void exportSavedModel(Path directory) {
        Signature signature = Signature.builder()
                .key(SERVING_SIGNATURE)
                .input("tokens", inputs)
                .output("logits", ops.logits())
                .build();
        try {
            SavedModelBundle.exporter(directory.toString()).withSession(session).withSignature(signature).export();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot export a SavedModel to " + directory, e);
        }
    }

    @Override
    public int vocabularySize() {
        return setup.shape().vocab();
    }

    @Override
    public int contextLength() {
        return setup.shape().seqLen();
    }

    /** Scores {@code microBatchSequences} rows per forward pass, each batch padded to its longest row. */
    @Override
    public float[][] tokenLogProbabilities(int[][] rows) {
        float[][] scores = new float[rows.length][];
        for (int r = 0; r < rows.length; r++) {
            if (rows[r] == null || rows[r].length < 2 || rows[r].length > contextLength() + 1) {
                throw new IllegalArgumentException("rows[" + r + "] must hold 2 to " + (contextLength() + 1)
                        + " ids, not " + (rows[r] == null ? "null" : rows[r].length));
            }
            checkIds(rows[r], "rows[" + r + "]");
        }
        int batch = setup.microBatchSequences();
        for (int first = 0; first < rows.length; first += batch) {
            int count = Math.min(batch, rows.length - first);
            int positions = 0;
            for (int r = first; r < first + count; r++) {
                positions = Math.max(positions, rows[r].length - 1);
            }
            // Padding sits after each row's last id, so causal attention keeps it out of the scored positions.
            int[] in = new int[count * positions];
            int[] out = new int[count * positions];
            for (int r = 0; r < count; r++) {
                int[] row = rows[first + r];
                System.arraycopy(row, 0, in, r * positions, row.length - 1);
                System.arraycopy(row, 1, out, r * positions, row.length - 1);
            }
            Shape dims = Shape.of(count, positions);
            try (TInt32 inTensor = TInt32.tensorOf(dims, DataBuffers.of(in, true, false));
                 TInt32 outTensor = TInt32.tensorOf(dims, DataBuffers.of(out, true, false));
                 Result result = session.runner().feed(inputs, inTensor).feed(targets, outTensor)
                         .fetch(ops.targetLogProbabilities()).run()) {
                TFloat32 values = (TFloat32) result.get(0);
                for (int r = 0; r < count; r++) {
                    float[] row = new float[rows[first + r].length - 1];
                    for (int p = 0; p < row.length; p++) {
                        row[p] = values.getFloat((long) r * positions + p);
                    }
                    scores[first + r] = row;
                }
            }
        }
        return scores;
    }

    @Override
    public Decoding startDecoding(int[] prompt) {
        if (prompt == null || prompt.length < 1 || prompt.length > contextLength()) {
            throw new IllegalArgumentException("prompt must hold 1 to " + contextLength() + " ids, not "
                    + (prompt == null ? "null" : prompt.length));
        }
        checkIds(prompt, "prompt");
        return new CachedDecoding(prompt);
    }

    @Override
    public void close() {
        session.close();
        graph.close();
    }

    private void checkIds(int[] ids, String what) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabularySize()) {
                throw new IllegalArgumentException(what + "[" + i + "] = " + ids[i]
                        + " lies outside the vocabulary [0, " + vocabularySize() + ")");
            }
        }
    }

    /** One stream: the keys and values of every position so far, held as tensors and fed back each step. */
    private final class CachedDecoding implements Decoding {

        private final List<Tensor> keys = new ArrayList<>();
        private final List<Tensor> values = new ArrayList<>();
        private int length;
        private float[] next;
        private boolean closed;

        CachedDecoding(int[] prompt) {
            ModelShape shape = setup.shape();
            Shape empty = Shape.of(1, 0, shape.kvHeads(), shape.headDim());
            for (int layer = 0; layer < shape.layers(); layer++) {
                keys.add(Tensor.of(setup.precision().parameterType(), empty));
                values.add(Tensor.of(setup.precision().parameterType(), empty));
            }
            run(prompt);
        }

        @Override
        public float[] nextLogProbabilities() {
            requireOpen();
            return next.clone();
        }

        @Override
        public void append(int token) {
            requireOpen();
            if (length >= contextLength()) {
                throw new IllegalStateException("the stream already holds contextLength() = " + contextLength()
                        + " tokens");
            }
            checkIds(new int[] {token}, "token");
            run(new int[] {token});
        }

        /** Runs {@code tokens} at positions {@code length ..} against the cache, then swaps in the longer cache. */
        private void run(int[] tokens) {
            Session.Runner runner = session.runner();
            try (TInt32 tokenTensor = TInt32.tensorOf(Shape.of(1, tokens.length), DataBuffers.of(tokens, true, false));
                 TInt32 start = TInt32.scalarOf(length)) {
                runner.feed(decodeTokens, tokenTensor).feed(decodeStart, start).fetch(ops.nextLogProbabilities());
                for (int layer = 0; layer < keys.size(); layer++) {
                    runner.feed(ops.pastKeys().get(layer), keys.get(layer))
                            .feed(ops.pastValues().get(layer), values.get(layer));
                }
                ops.keys().forEach(runner::fetch);
                ops.values().forEach(runner::fetch);
                // Not try-with-resources: closing the result would close the new cache tensors kept below.
                Result result = runner.run();
                try (TFloat32 logProbabilities = (TFloat32) result.get(0)) {
                    next = new float[vocabularySize()];
                    logProbabilities.copyTo(DataBuffers.of(next, false, false));
                }
                int layers = keys.size();
                for (int layer = 0; layer < layers; layer++) {
                    keys.set(layer, replace(keys.get(layer), result.get(1 + layer)));
                    values.set(layer, replace(values.get(layer), result.get(1 + layers + layer)));
                }
                length += tokens.length;
            }
        }

        private static Tensor replace(Tensor old, Tensor fresh) {
            old.close();
            return fresh;
        }

        private void requireOpen() {
            if (closed) {
                throw new IllegalStateException("this decoding stream is closed");
            }
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                keys.forEach(Tensor::close);
                values.forEach(Tensor::close);
            }
        }
    }
}
