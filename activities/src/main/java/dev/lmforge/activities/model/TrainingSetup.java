package dev.lmforge.activities.model;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tensorflow.DeviceSpec;

/**
 * Everything a {@link DecoderTrainer} is built from. One optimizer step covers
 * {@code accumulationSteps · microBatchSequences} sequences; each micro-batch is one forward and backward pass.
 *
 * @param shape               the decoder's shape
 * @param optimizer           AdamW settings and the initialisation's standard deviation
 * @param microBatchSequences sequences per forward/backward pass
 * @param accumulationSteps   micro-batches whose gradients are summed before one optimizer update
 * @param precision           what the graph computes in
 * @param seed                seed of the initial weights; the same seed gives the same weights
 * @param threads             TensorFlow intra-op threads
 * @param device              where the graph runs, such as {@code "/device:GPU:0"}; null lets TensorFlow choose
 */
public record TrainingSetup(ModelShape shape, OptimizerSettings optimizer, int microBatchSequences,
                            int accumulationSteps, ComputePrecision precision, long seed, int threads,
                            String device) {

    private static final Pattern DEVICE = Pattern.compile("/device:(CPU|GPU):(\\d+)");

    public TrainingSetup {
        requireNonNull("shape", shape);
        requireNonNull("optimizer", optimizer);
        requireNonNull("precision", precision);
        requirePositive("microBatchSequences", microBatchSequences);
        requirePositive("accumulationSteps", accumulationSteps);
        requirePositive("threads", threads);
        requireFraction("optimizer.beta1", optimizer.beta1());
        requireFraction("optimizer.beta2", optimizer.beta2());
        if (!(optimizer.weightDecay() >= 0) || Double.isInfinite(optimizer.weightDecay())) {
            throw new IllegalArgumentException("optimizer.weightDecay must be finite and >= 0, not "
                    + optimizer.weightDecay());
        }
        requirePositive("optimizer.gradientClip", optimizer.gradientClip());
        requirePositive("optimizer.initStd", optimizer.initStd());
        if (device != null && !DEVICE.matcher(device).matches()) {
            throw new IllegalArgumentException("device must look like /device:CPU:0 or /device:GPU:0, not '"
                    + device + "'");
        }
    }

    /** Sequences in one optimizer step. */
    public int sequencesPerStep() {
        return Math.multiplyExact(microBatchSequences, accumulationSteps);
    }

    /** {@link #device()} as TensorFlow's device spec, or null for TensorFlow's default placement. */
    DeviceSpec deviceSpec() {
        if (device == null) {
            return null;
        }
        Matcher m = DEVICE.matcher(device);
        m.matches();
        return DeviceSpec.newBuilder()
                .deviceType(DeviceSpec.DeviceType.valueOf(m.group(1)))
                .deviceIndex(Integer.parseInt(m.group(2)))
                .build();
    }

    private static void requireNonNull(String field, Object value) {
        if (value == null) {
            throw new IllegalArgumentException(field + " is required");
        }
    }

    private static void requirePositive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(field + " must be positive, not " + value);
        }
    }

    private static void requirePositive(String field, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(field + " must be positive, not " + value);
        }
    }

    private static void requireFraction(String field, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException(field + " must lie in [0, 1), not " + value);
        }
    }
}
