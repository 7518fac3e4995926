package dev.lmforge.activities.model;

import java.util.List;
import org.tensorflow.TensorFlow;
import org.tensorflow.op.nn.SparseSoftmaxCrossEntropyWithLogits;
import org.tensorflow.proto.ConfigProto;

/**
 * The process-wide TensorFlow setup lmforge's graphs rely on: the gradients TensorFlow Java lacks, registered
 * once per JVM, and how sessions are configured.
 */
public final class TensorFlowRuntime {

    private static boolean gradientsRegistered;

    private TensorFlowRuntime() {
    }

    /**
     * Registers the gradient of {@code SparseSoftmaxCrossEntropyWithLogits} (absent in TensorFlow Java): the op's
     * second output already holds {@code softmax - onehot}, the loss's gradient with respect to the logits, so the
     * gradient scales it by the incoming one per row. Labels get zeros: they are ids, not differentiable. A gradient
     * registered earlier by other code in this JVM is left in place (the C API cannot replace one).
     */
    static synchronized void registerGradients() {
        if (!gradientsRegistered) {
            TensorFlow.registerCustomGradient(SparseSoftmaxCrossEntropyWithLogits.OP_NAME, (tf, op, upstream) -> List.of(
                    tf.math.mul(op.output(1), tf.expandDims(upstream.get(0), tf.constant(-1))),
                    tf.zerosLike(op.input(1))));
            gradientsRegistered = true;
        }
    }

    /**
     * {@code threads} intra-op threads and one inter-op thread (a decoder's ops form a chain, so running
     * independent ops side by side buys little and makes timings noisy); ops a device lacks fall back to the CPU.
     */
    public static ConfigProto sessionConfig(int threads) {
        return ConfigProto.newBuilder()
                .setIntraOpParallelismThreads(threads)
                .setInterOpParallelismThreads(1)
                .setAllowSoftPlacement(true)
                .build();
    }
}
