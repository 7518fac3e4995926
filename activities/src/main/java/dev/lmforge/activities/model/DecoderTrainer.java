package dev.lmforge.activities.model;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TFloating;
import org.tensorflow.types.family.TType;

/**
 * Trains a {@link DecoderModel} with {@link AdamW} in one TensorFlow graph and session. Each {@link #step} takes
 * {@code accumulationSteps · microBatchSequences} rows of {@code seqLen + 1} token ids; inputs are a row's first
 * {@code seqLen} ids and targets its last {@code seqLen}. The same setup and inputs give bit-identical results on
 * the same machine. Not thread-safe.
 */
public final class DecoderTrainer implements AutoCloseable {

    /** File prefix of the variables inside a {@link #save} directory. */
    static final String CHECKPOINT_PREFIX = "variables";

    private final TrainingSetup setup;
    private final Graph graph;
    private final Session session;
    private final Placeholder<TInt32> inputs;
    private final Placeholder<TInt32> targets;
    private final Placeholder<TFloat32> weights;
    private final Placeholder<TFloat64> weightTotal;
    private final Placeholder<TFloat64> learningRateFeed;
    private final Placeholder<TString> weightsPrefix;
    private final TrainingOps ops;

    /** The graph's handles, free of the parameter type. */
    private record TrainingOps(Operand<TFloat64> loss, Operand<TFloat32> targetLogProbabilities, Op accumulate, Op update, Operand<TFloat64> gradientNorm,
                               Operand<TInt64> step, Op restoreWeights,
                               long parameterCount, List<String> parameterNames) {
    }

    /** Builds the graph and a session; the variables take their seeded initial values on first use. */
    public DecoderTrainer(TrainingSetup setup) {
        this.setup = setup;
        this.graph = new Graph();
        try {
            Ops tf = Ops.create(graph);
            if (setup.deviceSpec() != null) {
                tf = tf.withDevice(setup.deviceSpec());
            }
            inputs = tf.withName("inputs").placeholder(TInt32.class);
            targets = tf.withName("targets").placeholder(TInt32.class);
            weights = tf.withName("loss_weights").placeholder(TFloat32.class);
            weightTotal = tf.withName("loss_weight_total").placeholder(TFloat64.class);
            learningRateFeed = tf.withName("learning_rate").placeholder(TFloat64.class);
            weightsPrefix = tf.withName("weights_prefix").placeholder(TString.class);
            ops = build(tf, setup.precision().parameterType());
            session = new Session(graph, TensorFlowRuntime.sessionConfig(setup.threads()));
        } catch (RuntimeException e) {
            graph.close();
            throw e;
        }
    }

    private <T extends TFloating> TrainingOps build(Ops tf, Class<T> type) {
        DecoderModel<T> model = new DecoderModel<>(tf, setup.shape(), setup.precision(), type,
                setup.optimizer().initStd(), setup.seed());
        List<DecoderModel.Parameter<T>> parameters = model.parameters();
        Operand<T> logits = model.logits(inputs);
        Operand<T> loss = model.loss(logits, targets, tf.dtypes.cast(weights, type),
                tf.dtypes.cast(weightTotal, type));
        Operand<TFloat32> targetLogProbabilities =
                tf.dtypes.cast(model.targetLogProbabilities(logits, targets), TFloat32.class);
        List<Operand<T>> gradients = gradients(loss, parameters);

        AdamW<T> adamW = new AdamW<>(tf, parameters, setup.optimizer(), type);
        Operand<T> rate = tf.dtypes.cast(learningRateFeed, type);
        Op accumulate = null;
        AdamW.Update<T> update;
        Op updateOp;
        if (setup.accumulationSteps() == 1) {
            update = adamW.update(gradients, rate);
            updateOp = update.op();
        } else {
            GradientAccumulator<T> accumulator = new GradientAccumulator<>(tf, parameters, type);
            accumulate = accumulator.add(gradients);
            update = adamW.update(accumulator.sums(), rate);
            updateOp = accumulator.resetAfter(update.op());
        }

        long count = parameters.stream().mapToLong(p -> p.shape().size()).sum();
        return new TrainingOps(tf.dtypes.cast(loss, TFloat64.class), targetLogProbabilities, accumulate, updateOp,
                tf.dtypes.cast(update.gradientNorm(), TFloat64.class), adamW.step(),
                restoreWeights(tf, parameters, type), count,
                parameters.stream().map(DecoderModel.Parameter::name).toList());
    }

    /**
     * Reads the weights alone from a {@link #save} checkpoint at {@link #weightsPrefix} into the parameters,
     * leaving the AdamW moments and the step counter as they are.
     */
    @SuppressWarnings("unchecked")
    private <T extends TFloating> Op restoreWeights(Ops tf, List<DecoderModel.Parameter<T>> parameters,
                                                    Class<T> type) {
        // The names the checkpoint keys its tensors by: the variables' op names, as Session.save writes them.
        String[] names = parameters.stream().map(p -> p.variable().op().name()).toArray(String[]::new);
        String[] wholeTensors = new String[names.length];
        Arrays.fill(wholeTensors, "");
        List<Output<?>> values = tf.train.restore(weightsPrefix, tf.constant(UTF_8, names),
                tf.constant(UTF_8, wholeTensors), Collections.<Class<? extends TType>>nCopies(names.length, type))
                .tensors();
        List<Op> assigns = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            assigns.add(tf.assign(parameters.get(i).variable(), (Operand<T>) values.get(i)));
        }
        return tf.withControlDependencies(assigns).noOp();
    }

    @SuppressWarnings("unchecked")
    private <T extends TFloating> List<Operand<T>> gradients(Operand<T> loss,
                                                             List<DecoderModel.Parameter<T>> parameters) {
        Output<?>[] variables = parameters.stream().map(p -> p.variable().asOutput()).toArray(Output<?>[]::new);
        return Arrays.stream(graph.addGradients(loss.asOutput(), variables))
                .map(g -> (Operand<T>) g)
                .toList();
    }

    /**
     * One optimizer step over {@code tokens}: {@code sequencesPerStep} rows of {@code seqLen + 1} ids, row-major.
     *
     * @param tokens       the rows, flattened
     * @param lossWeights  one weight per target position ({@code rows · seqLen}), or null for all 1
     * @param learningRate this step's learning rate
     * @return the step's mean loss (before the update) and the gradient norm before clipping
     */
    public StepResult step(int[] tokens, float[] lossWeights, double learningRate) {
        int rows = setup.sequencesPerStep();
        float[] weightsOrOnes = lossWeights == null ? ones(rows * setup.shape().seqLen()) : lossWeights;
        return step(tokens, weightsOrOnes, checkWeights(weightsOrOnes, rows), learningRate);
    }

    /**
     * One optimizer step on {@code -Σ w·log p(target) / divisor} with weights of either sign: an objective
     * whose gradient is a weighted sum of token log-probability gradients, such as DPO's (the alignment stage
     * computes each row's weight from its sequence log-probability, then steps here).
     *
     * @param tokens       {@code sequencesPerStep} rows of {@code seqLen + 1} ids, flattened
     * @param lossWeights  one finite weight per target position ({@code rows · seqLen})
     * @param divisor      the positive divisor of the weighted sum
     * @param learningRate this step's learning rate
     * @return the step's objective (before the update) and the gradient norm before clipping
     */
    public StepResult step(int[] tokens, float[] lossWeights, double divisor, double learningRate) {
        int rows = setup.sequencesPerStep();
        int seqLen = setup.shape().seqLen();
        checkTokens(tokens, rows);
        if (lossWeights == null || lossWeights.length != rows * seqLen) {
            throw new IllegalArgumentException("lossWeights must hold one weight per target position ("
                    + rows * seqLen + "), not " + (lossWeights == null ? "null" : lossWeights.length));
        }
        for (int i = 0; i < lossWeights.length; i++) {
            if (!Float.isFinite(lossWeights[i])) {
                throw new IllegalArgumentException("lossWeights[" + i + "] = " + lossWeights[i] + " must be finite");
            }
        }
        if (!(divisor > 0) || Double.isInfinite(divisor)) {
            throw new IllegalArgumentException("divisor must be finite and > 0, not " + divisor);
        }
        if (!(learningRate >= 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learningRate must be finite and >= 0, not " + learningRate);
        }
        int microRows = setup.microBatchSequences();
        try (TFloat64 totalTensor = TFloat64.scalarOf(divisor);
             TFloat64 rateTensor = TFloat64.scalarOf(learningRate)) {
            if (setup.accumulationSteps() == 1) {
                // Forward, backward and update in one call: no gradient sums to keep.
                try (Batch batch = new Batch(tokens, lossWeights, 0, microRows, seqLen);
                     Result result = batch.feed(session.runner()).feed(weightTotal, totalTensor)
                             .feed(learningRateFeed, rateTensor).fetch(ops.loss()).fetch(ops.gradientNorm())
                             .addTarget(ops.update()).run()) {
                    return new StepResult(scalar(result, 0), scalar(result, 1));
                }
            }
            double loss = 0;
            for (int micro = 0; micro < setup.accumulationSteps(); micro++) {
                try (Batch batch = new Batch(tokens, lossWeights, micro * microRows, microRows, seqLen);
                     Result result = batch.feed(session.runner()).feed(weightTotal, totalTensor)
                             .fetch(ops.loss()).addTarget(ops.accumulate()).run()) {
                    loss += scalar(result, 0);
                }
            }
            try (Result result = session.runner().feed(learningRateFeed, rateTensor).fetch(ops.gradientNorm())
                    .addTarget(ops.update()).run()) {
                return new StepResult(loss, scalar(result, 0));
            }
        }
    }

    /** The mean loss over {@code rows} rows of {@code seqLen + 1} ids, without updating anything. */
    public double loss(int[] tokens, int rows) {
        if (rows <= 0) {
            throw new IllegalArgumentException("rows must be positive, not " + rows);
        }
        checkTokens(tokens, rows);
        int seqLen = setup.shape().seqLen();
        try (Batch batch = new Batch(tokens, ones(rows * seqLen), 0, rows, seqLen);
             TFloat64 total = TFloat64.scalarOf((double) rows * seqLen);
             Result result = batch.feed(session.runner()).feed(weightTotal, total).fetch(ops.loss()).run()) {
            return scalar(result, 0);
        }
    }

    /**
     * {@code log p(target)} at every target position of {@code rows} rows of {@code seqLen + 1} ids under the
     * current weights, row-major ({@code rows · seqLen}); nothing is updated.
     */
    public float[] targetLogProbabilities(int[] tokens, int rows) {
        if (rows <= 0) {
            throw new IllegalArgumentException("rows must be positive, not " + rows);
        }
        checkTokens(tokens, rows);
        int seqLen = setup.shape().seqLen();
        try (Batch batch = new Batch(tokens, ones(rows * seqLen), 0, rows, seqLen);
             Result result = batch.feed(session.runner()).fetch(ops.targetLogProbabilities()).run()) {
            TFloat32 values = (TFloat32) result.get(0);
            float[] copy = new float[rows * seqLen];
            values.copyTo(DataBuffers.of(copy, false, false));
            return copy;
        }
    }

    /** Optimizer steps taken, read from the step counter variable (so it survives {@link #restore}). */
    public long step() {
        try (Result result = session.runner().fetch(ops.step()).run()) {
            return ((TInt64) result.get(0)).getLong();
        }
    }

    /** Every trainable weight (embedding and output projection included; optimizer state excluded). */
    public long parameterCount() {
        return ops.parameterCount();
    }

    /** The names of the trainable variables, in creation order. */
    List<String> parameterNames() {
        return ops.parameterNames();
    }

    /** The setup this trainer was built from. */
    public TrainingSetup setup() {
        return setup;
    }

    /** Writes every variable (weights, AdamW moments, step counter) into {@code directory}. */
    public void save(Path directory) {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create checkpoint directory " + directory, e);
        }
        session.save(directory.resolve(CHECKPOINT_PREFIX).toString());
    }

    /**
     * Reads every variable back (weights, AdamW moments, step counter) from a {@link #save} directory of a
     * trainer with the same shape: the same run continues.
     */
    public void restore(Path directory) {
        session.restore(checkpointPrefix(directory));
    }

    /**
     * Reads only the weights from a {@link #save} directory of a trainer with the same shape, keeping this
     * trainer's AdamW moments and step counter: a new run (fine-tuning) starts from another run's model with its
     * own optimizer state and schedule. On a trainer never stepped, that is fresh moments and step 0.
     */
    public void restoreWeights(Path directory) {
        try (TString prefix = TString.scalarOf(checkpointPrefix(directory))) {
            session.runner().feed(weightsPrefix, prefix).addTarget(ops.restoreWeights()).run();
        }
    }

    private static String checkpointPrefix(Path directory) {
        Path index = directory.resolve(CHECKPOINT_PREFIX + ".index");
        if (!Files.isRegularFile(index)) {
            throw new IllegalArgumentException("no checkpoint in " + directory + ": " + index + " is missing");
        }
        return directory.resolve(CHECKPOINT_PREFIX).toString();
    }

    /** The current values of the variable named {@code name} (a weight, an AdamW moment), flattened; for tests. */
    double[] variableValues(String name) {
        try (Result result = session.runner().fetch(name).run()) {
            if (result.get(0) instanceof TFloat64 values) {
                double[] copy = new double[(int) values.size()];
                values.copyTo(DataBuffers.of(copy, false, false));
                return copy;
            }
            TFloat32 values = (TFloat32) result.get(0);
            float[] copy = new float[(int) values.size()];
            values.copyTo(DataBuffers.of(copy, false, false));
            double[] widened = new double[copy.length];
            for (int i = 0; i < copy.length; i++) {
                widened[i] = copy[i];
            }
            return widened;
        }
    }

    @Override
    public void close() {
        session.close();
        graph.close();
    }

    private void checkTokens(int[] tokens, int rows) {
        ModelShape shape = setup.shape();
        long expected = (long) rows * (shape.seqLen() + 1);
        if (tokens == null || tokens.length != expected) {
            throw new IllegalArgumentException("tokens must hold " + rows + " rows of seqLen + 1 = "
                    + (shape.seqLen() + 1) + " ids (" + expected + "), not "
                    + (tokens == null ? "null" : tokens.length));
        }
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= shape.vocab()) {
                throw new IllegalArgumentException("tokens[" + i + "] = " + tokens[i] + " lies outside the vocabulary [0, "
                        + shape.vocab() + ")");
            }
        }
    }

    private double checkWeights(float[] lossWeights, int rows) {
        int expected = rows * setup.shape().seqLen();
        if (lossWeights.length != expected) {
            throw new IllegalArgumentException("lossWeights must hold one weight per target position ("
                    + expected + "), not " + lossWeights.length);
        }
        double total = 0;
        for (int i = 0; i < lossWeights.length; i++) {
            if (!(lossWeights[i] >= 0) || Float.isInfinite(lossWeights[i])) {
                throw new IllegalArgumentException("lossWeights[" + i + "] = " + lossWeights[i]
                        + " must be finite and >= 0");
            }
            total += lossWeights[i];
        }
        if (total <= 0) {
            throw new IllegalArgumentException("lossWeights are all zero: no position to learn from");
        }
        return total;
    }

    private static float[] ones(int n) {
        float[] ones = new float[n];
        Arrays.fill(ones, 1f);
        return ones;
    }

    private static double scalar(Result result, int index) {
        return ((TFloat64) result.get(index)).getDouble();
    }

    /** One micro-batch's input, target and weight tensors, cut from a step's rows. */
    private final class Batch implements AutoCloseable {

        private final TInt32 inputTensor;
        private final TInt32 targetTensor;
        private final TFloat32 weightTensor;

        Batch(int[] tokens, float[] lossWeights, int firstRow, int rows, int seqLen) {
            int[] in = new int[rows * seqLen];
            int[] out = new int[rows * seqLen];
            for (int r = 0; r < rows; r++) {
                int from = (firstRow + r) * (seqLen + 1);
                System.arraycopy(tokens, from, in, r * seqLen, seqLen);
                System.arraycopy(tokens, from + 1, out, r * seqLen, seqLen);
            }
            float[] w = Arrays.copyOfRange(lossWeights, firstRow * seqLen, (firstRow + rows) * seqLen);
            Shape dims = Shape.of(rows, seqLen);
            inputTensor = TInt32.tensorOf(dims, DataBuffers.of(in, true, false));
            targetTensor = TInt32.tensorOf(dims, DataBuffers.of(out, true, false));
            weightTensor = TFloat32.tensorOf(dims, DataBuffers.of(w, true, false));
        }

        Session.Runner feed(Session.Runner runner) {
            return runner.feed(inputs, inputTensor).feed(targets, targetTensor).feed(weights, weightTensor);
        }

        @Override
        public void close() {
            inputTensor.close();
            targetTensor.close();
            weightTensor.close();
        }
    }
}
