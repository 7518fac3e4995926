package dev.lmforge.activities.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Assign;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat64;

/** The graph's gradients of the whole model, in float64, against central finite differences of its loss. */
class DecoderModelGradientTest {

    private static final int ROWS = 2;
    private static final double STEP = 1e-5;
    /** Entries checked per parameter tensor. */
    private static final int ENTRIES = 3;

    @Test
    void wholeModelGradientsMatchCentralDifferences() {
        int seqLen = TinyDecoders.SHAPE.seqLen();
        int[] rows = TinyDecoders.randomRows(ROWS, 17);
        int[][] inputs = new int[ROWS][seqLen];
        int[][] targets = new int[ROWS][seqLen];
        double[][] weights = new double[ROWS][seqLen];
        double weightTotal = 0;
        for (int r = 0; r < ROWS; r++) {
            for (int p = 0; p < seqLen; p++) {
                inputs[r][p] = rows[r * (seqLen + 1) + p];
                targets[r][p] = rows[r * (seqLen + 1) + p + 1];
                weights[r][p] = p < 2 ? 0 : 1 + 0.5 * (p % 2); // masked "prompt" positions and uneven weights
                weightTotal += weights[r][p];
            }
        }
        try (Graph graph = new Graph()) {
            Ops tf = Ops.create(graph);
            // A large init scale makes attention and SwiGLU clearly non-linear, so the check has teeth.
            DecoderModel<TFloat64> model = new DecoderModel<>(tf, TinyDecoders.SHAPE, ComputePrecision.FLOAT64,
                    TFloat64.class, 0.3, 5);
            Operand<TFloat64> loss = model.loss(model.logits(tf.constant(inputs)), tf.constant(targets),
                    tf.constant(weights), tf.constant(weightTotal));
            List<DecoderModel.Parameter<TFloat64>> parameters = model.parameters();
            Output<?>[] gradients = graph.addGradients(loss.asOutput(),
                    parameters.stream().map(p -> p.variable().asOutput()).toArray(Output<?>[]::new));
            List<Placeholder<TFloat64>> feeds = new ArrayList<>();
            List<Assign<TFloat64>> assigns = new ArrayList<>();
            for (DecoderModel.Parameter<TFloat64> p : parameters) {
                Placeholder<TFloat64> feed = tf.placeholder(TFloat64.class);
                feeds.add(feed);
                assigns.add(tf.assign(p.variable(), feed));
            }

            try (Session session = new Session(graph)) {
                SplittableRandom random = new SplittableRandom(3);
                int checked = 0;
                for (int i = 0; i < parameters.size(); i++) {
                    DecoderModel.Parameter<TFloat64> p = parameters.get(i);
                    double[] values = read(session, p.variable());
                    double[] analytic = read(session, gradients[i]);
                    for (int e = 0; e < ENTRIES; e++) {
                        int entry = random.nextInt(values.length);
                        double original = values[entry];
                        values[entry] = original + STEP;
                        double up = lossAfterAssigning(session, assigns.get(i), feeds.get(i), p.shape(), values, loss);
                        values[entry] = original - STEP;
                        double down = lossAfterAssigning(session, assigns.get(i), feeds.get(i), p.shape(), values,
                                loss);
                        values[entry] = original;
                        lossAfterAssigning(session, assigns.get(i), feeds.get(i), p.shape(), values, loss);
                        double numeric = (up - down) / (2 * STEP);
                        assertEquals(numeric, analytic[entry], 1e-8 + 1e-5 * Math.abs(numeric),
                                p.name() + "[" + entry + "]");
                        checked++;
                    }
                }
                assertEquals(ENTRIES * (6 * TinyDecoders.SHAPE.layers() + 3), checked);
                assertTrue(maxAbs(read(session, gradients[0])) > 1e-4, "embedding gradients are not all ~0");
            }
        }
    }

    private static double lossAfterAssigning(Session session, Assign<TFloat64> assign, Placeholder<TFloat64> feed,
                                             Shape shape, double[] values, Operand<TFloat64> loss) {
        try (TFloat64 tensor = TFloat64.tensorOf(shape, DataBuffers.of(values, true, false))) {
            session.runner().feed(feed, tensor).addTarget(assign).run().close();
        }
        try (Result result = session.runner().fetch(loss).run()) {
            return ((TFloat64) result.get(0)).getDouble();
        }
    }

    private static double[] read(Session session, Operand<?> operand) {
        try (Result result = session.runner().fetch(operand).run()) {
            TFloat64 tensor = (TFloat64) result.get(0);
            double[] values = new double[(int) tensor.size()];
            tensor.copyTo(DataBuffers.of(values, false, false));
            return values;
        }
    }

    private static double[] read(Session session, Output<?> output) {
        return read(session, (Operand<?>) output);
    }

    private static double maxAbs(double[] values) {
        double max = 0;
        for (double v : values) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }
}
