package dev.lmforge.activities.model;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.family.TFloating;

/**
 * Sums the gradients of several micro-batches in variables, so that one optimizer update sees the gradient of the
 * whole batch while memory holds only one micro-batch's activations.
 *
 * @param <T> the parameter type
 */
final class GradientAccumulator<T extends TFloating> {

    private final Ops tf;
    private final List<Variable<T>> sums = new ArrayList<>();

    /** One zeroed sum per parameter, shaped like it. */
    GradientAccumulator(Ops tf, List<DecoderModel.Parameter<T>> parameters, Class<T> type) {
        this.tf = tf;
        for (DecoderModel.Parameter<T> p : parameters) {
            sums.add(tf.withName(p.name() + "_gradient_sum").variable(tf.zeros(tf.constant(p.shape()), type)));
        }
    }

    /** Adds one micro-batch's {@code gradients} (one per parameter, in order) to the sums. */
    Op add(List<Operand<T>> gradients) {
        List<Op> adds = new ArrayList<>();
        for (int i = 0; i < sums.size(); i++) {
            adds.add(tf.assignAdd(sums.get(i), gradients.get(i)));
        }
        return tf.withControlDependencies(adds).noOp();
    }

    /** The sums, one per parameter. */
    List<Operand<T>> sums() {
        return List.copyOf(sums);
    }

    /** Zeroes the sums once {@code after} has run. */
    Op resetAfter(Op after) {
        Ops afterUpdate = tf.withControlDependencies(List.of(after));
        List<Op> resets = new ArrayList<>();
        for (Variable<T> sum : sums) {
            resets.add(afterUpdate.assign(sum, afterUpdate.zerosLike(sum)));
        }
        return tf.withControlDependencies(resets).noOp();
    }
}
