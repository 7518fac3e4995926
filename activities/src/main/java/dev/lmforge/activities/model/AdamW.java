package dev.lmforge.activities.model;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.math.Div;
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
     * {@code lr·(m̂/(√v̂ + ε̂) + wd·w)} (no decay on norms), then advance the step counter. TensorFlow's kernel
     * adds ε to {@code √v} before bias correction (ε̂ = ε/√(1-β2^t)), as the Adam paper's efficient form does.
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
        Div<T> clipScale = tf.math.div(clip, tf.math.maximum(norm, clip));
        // Nothing may write a weight before every gradient is computed: the decay below reads no gradient, so it
        // waits for the clip scale, which reads them all.
        Ops afterGradients = tf.withControlDependencies(List.of(clipScale));

        Operand<T> t = tf.dtypes.cast(tf.math.add(step, tf.constant(1L)), type);
        Operand<T> beta1 = scalar(settings.beta1());
        Operand<T> beta2 = scalar(settings.beta2());
        Operand<T> beta1Power = tf.math.pow(beta1, t);
        Operand<T> beta2Power = tf.math.pow(beta2, t);
        Operand<T> decayRate = tf.math.mul(learningRate, scalar(settings.weightDecay()));

        List<Op> updates = new ArrayList<>();
        for (int i = 0; i < parameters.size(); i++) {
            DecoderModel.Parameter<T> p = parameters.get(i);
            Ops ordered = tf;
            if (p.decayed()) {
                // Decoupled weight decay, w -= lr·wd·w, then Adam on the decayed weight: together
                // w - lr·(m̂/(√v̂ + ε) + wd·w) from the weight before the step.
                ordered = tf.withControlDependencies(List.of(
                        afterGradients.assignSub(p.variable(), tf.math.mul(p.variable(), decayRate))));
            }
            // TensorFlow's fused Adam kernel: moments, bias correction (from β^t) and the step in one pass.
            updates.add(ordered.train.applyAdam(p.variable(), firstMoments.get(i), secondMoments.get(i),
                    beta1Power, beta2Power, learningRate, beta1, beta2, scalar(EPSILON),
                    tf.math.mul(gradients.get(i), clipScale)));
        }
        Op advance = tf.withControlDependencies(updates).assignAdd(step, tf.constant(1L));
        return new Update<>(advance, norm);
    }

    private Operand<T> scalar(double value) {
        return tf.dtypes.cast(tf.constant(value), type);
    }
}
