package dev.lmforge.activities.training;

import dev.lmforge.activities.planning.OptimizerSettings;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;

/**
 * AdamW (Loshchilov and Hutter, decoupled weight decay) as graph ops over an explicit list of parameters, with
 * global-norm gradient clipping first. TensorFlow Java has no AdamW, and its optimizers take every variable in
 * the graph and a constant learning rate; here the learning rate is an operand fed each step, and the step count
 * behind Adam's bias correction is a variable, so it is saved and restored with the weights.
 *
 * @param <T> the parameter type
 */
final class AdamW<T extends TFloating> {

    /** Adam's epsilon, PyTorch's default (the paper does not give one). */
    private static final double EPSILON = 1e-8;

    /** One update's op (which also advances the step counter) and the gradients' global norm before clipping. */
    record Update<T extends TFloating>(Op op, Operand<T> gradientNorm) {
    }

    private final Ops tf;
    private final OptimizerSettings settings;
    private final Class<T> type;
    private final List<DecoderModel.Parameter<T>> parameters;
    private final List<Variable<T>> firstMoments = new ArrayList<>();
    private final List<Variable<T>> secondMoments = new ArrayList<>();
    private final Variable<TInt64> step;

    /** Creates the moment variables (zeros) for {@code parameters} and the step counter (0). */
    AdamW(Ops tf, List<DecoderModel.Parameter<T>> parameters, OptimizerSettings settings, Class<T> type) {
        this.tf = tf;
        this.settings = settings;
        this.type = type;
        this.parameters = List.copyOf(parameters);
        for (DecoderModel.Parameter<T> p : parameters) {
            firstMoments.add(tf.withName(p.name() + "_adam_m").variable(tf.zeros(tf.constant(p.shape()), type)));
            secondMoments.add(tf.withName(p.name() + "_adam_v").variable(tf.zeros(tf.constant(p.shape()), type)));
        }
        step = tf.withName("adamw_step").variable(tf.constant(0L));
    }

    /** Optimizer steps taken. */
    Operand<TInt64> step() {
        return step;
    }

    /**
     * Builds one update from {@code gradients} (one per parameter, in order) at {@code learningRate}:
     * clip to global norm {@code gradientClip}, update the moments, step each weight by
     * {@code lr·(m̂/(√v̂ + ε) + wd·w)} (no decay on norms), then advance the step counter.
     */
    Update<T> update(List<Operand<T>> gradients, Operand<T> learningRate) {
        if (gradients.size() != parameters.size()) {
            throw new IllegalArgumentException(gradients.size() + " gradients for " + parameters.size()
                    + " parameters");
        }
        List<Operand<T>> squares = new ArrayList<>();
        for (Operand<T> g : gradients) {
            squares.add(tf.sum(tf.reshape(tf.math.square(g), tf.constant(new int[] {-1})), tf.constant(0)));
        }
        Operand<T> norm = tf.math.sqrt(tf.math.addN(squares));
        Operand<T> clip = scalar(settings.gradientClip());
        Operand<T> clipScale = tf.math.div(clip, tf.math.maximum(norm, clip));

        Operand<T> t = tf.dtypes.cast(tf.math.add(step, tf.constant(1L)), type);
        Operand<T> firstCorrection = tf.math.sub(scalar(1), tf.math.pow(scalar(settings.beta1()), t));
        Operand<T> secondCorrection = tf.math.sub(scalar(1), tf.math.pow(scalar(settings.beta2()), t));

        List<Op> updates = new ArrayList<>();
        for (int i = 0; i < parameters.size(); i++) {
            DecoderModel.Parameter<T> p = parameters.get(i);
            Operand<T> g = tf.math.mul(gradients.get(i), clipScale);
            Operand<T> m = tf.assign(firstMoments.get(i), movingAverage(firstMoments.get(i), g,
                    settings.beta1()));
            Operand<T> v = tf.assign(secondMoments.get(i), movingAverage(secondMoments.get(i), tf.math.square(g),
                    settings.beta2()));
            Operand<T> adam = tf.math.div(tf.math.div(m, firstCorrection),
                    tf.math.add(tf.math.sqrt(tf.math.div(v, secondCorrection)), scalar(EPSILON)));
            Operand<T> direction = p.decayed()
                    ? tf.math.add(adam, tf.math.mul(p.variable(), scalar(settings.weightDecay())))
                    : adam;
            updates.add(tf.assignSub(p.variable(), tf.math.mul(learningRate, direction)));
        }
        Op advance = tf.withControlDependencies(updates).assignAdd(step, tf.constant(1L));
        return new Update<>(advance, norm);
    }

    /** {@code β·average + (1 - β)·value}. */
    private Operand<T> movingAverage(Operand<T> average, Operand<T> value, double beta) {
        return tf.math.add(tf.math.mul(average, scalar(beta)), tf.math.mul(value, scalar(1 - beta)));
    }

    private Operand<T> scalar(double value) {
        return tf.dtypes.cast(tf.constant(value), type);
    }
}
