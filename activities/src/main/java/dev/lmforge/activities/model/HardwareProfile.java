package dev.lmforge.activities.model;

/**
 * What a compute worker can sustain: training FLOP/s as measured (not the datasheet peak) and the memory one
 * training process may use, in bytes.
 */
public record HardwareProfile(double sustainedFlopsPerSecond, long memoryBytes) {

    public HardwareProfile {
        Require.positiveFinite("sustained FLOP/s", sustainedFlopsPerSecond);
        Require.positive("memory bytes", memoryBytes);
    }
}
