package dev.lmforge.activities.model;

/**
 * Training memory of a model in fp32 without activation recomputation (lmforge's CPU path; bf16 halves the
 * parameter and activation terms): the parameters, their gradients, AdamW's two moments, and the activations one
 * sequence keeps for the backward pass. With a hardware profile, also how many sequences fit in one micro-batch
 * and how many micro-batches make up the batch.
 *
 * @param parameterBytes             4 bytes per parameter
 * @param gradientBytes              4 bytes per parameter
 * @param optimizerStateBytes        AdamW's first and second moments, 8 bytes per parameter
 * @param activationBytesPerSequence activations kept for the backward pass of one sequence
 * @param microBatchSequences        sequences per micro-batch that fit the profile's memory; null without a
 *                                   profile or when not even one fits
 * @param accumulationSteps          micro-batches per batch (gradient accumulation); null when
 *                                   {@code microBatchSequences} is
 * @param fitsInMemory               whether one sequence fits next to the weights; null without a profile
 */
public record MemoryEstimate(long parameterBytes, long gradientBytes, long optimizerStateBytes,
                             long activationBytesPerSequence, Integer microBatchSequences, Integer accumulationSteps,
                             Boolean fitsInMemory) {

    private static final int FP32_BYTES = 4;

    /** The estimate for {@code scale} trained in batches of {@code batchSequences}; {@code hardware} may be null. */
    public static MemoryEstimate of(ModelScale scale, int batchSequences, HardwareProfile hardware) {
        long params = scale.exactParams();
        long weights = Math.multiplyExact(params, FP32_BYTES);
        long activations = Math.multiplyExact(activationValuesPerSequence(scale), FP32_BYTES);
        if (hardware == null) {
            return new MemoryEstimate(weights, weights, 2 * weights, activations, null, null, null);
        }
        long free = hardware.memoryBytes() - 4 * weights;
        if (free < activations) {
            return new MemoryEstimate(weights, weights, 2 * weights, activations, null, null, false);
        }
        int micro = (int) Math.min(batchSequences, free / activations);
        int accumulation = (batchSequences + micro - 1) / micro;
        return new MemoryEstimate(weights, weights, 2 * weights, activations, micro, accumulation, true);
    }

    /** Weights, gradients and optimizer state together. */
    public long stateBytes() {
        return parameterBytes + gradientBytes + optimizerStateBytes;
    }

    /**
     * Values one sequence keeps for the backward pass, per token: in each block the two norm inputs and outputs
     * ({@code 4·d}), Q, K, V and the attention output ({@code 2·d + 2·kv_width}), the softmax probabilities
     * ({@code heads·seq}) and SwiGLU's gate, up, activated gate and product ({@code 4·ffn}); then the final norm
     * ({@code 2·d}) and the output softmax ({@code vocab}).
     */
    private static long activationValuesPerSequence(ModelScale scale) {
        ModelShape s = scale.shape();
        long kvWidth = (long) s.kvHeads() * s.headDim();
        long perBlock = 6L * s.dModel() + 2 * kvWidth + (long) s.heads() * s.seqLen() + 4L * scale.ffnHidden();
        long perToken = Math.addExact(Math.multiplyExact(s.layers(), perBlock), 2L * s.dModel() + s.vocab());
        return Math.multiplyExact(perToken, s.seqLen());
    }
}
