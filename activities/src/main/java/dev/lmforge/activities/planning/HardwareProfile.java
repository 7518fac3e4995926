package dev.lmforge.activities.planning;

/**
 * What a compute worker can sustain: training FLOP/s as measured (not the datasheet peak) and the memory one
 * training process may use, in bytes.
 */
public record HardwareProfile(double sustainedFlopsPerSecond, long memoryBytes) {

    public HardwareProfile {
        if (!(sustainedFlopsPerSecond > 0) || !Double.isFinite(sustainedFlopsPerSecond)) {
            throw new IllegalArgumentException("sustained FLOP/s must be positive and finite, got "
                    + sustainedFlopsPerSecond);
        }
        if (memoryBytes <= 0) {
            throw new IllegalArgumentException("memory bytes must be positive, got " + memoryBytes);
        }
    }
}
