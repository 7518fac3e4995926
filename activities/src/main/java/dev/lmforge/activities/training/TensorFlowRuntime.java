package dev.lmforge.activities.training;

import org.tensorflow.proto.ConfigProto;

/** How lmforge configures TensorFlow sessions; every training graph and benchmark uses the same settings. */
final class TensorFlowRuntime {

    private TensorFlowRuntime() {
    }

    /**
     * {@code threads} intra-op threads and one inter-op thread (a decoder's ops form a chain, so running
     * independent ops side by side buys little and makes timings noisy); ops a device lacks fall back to the CPU.
     */
    static ConfigProto sessionConfig(int threads) {
        return ConfigProto.newBuilder()
                .setIntraOpParallelismThreads(threads)
                .setInterOpParallelismThreads(1)
                .setAllowSoftPlacement(true)
                .build();
    }
}
