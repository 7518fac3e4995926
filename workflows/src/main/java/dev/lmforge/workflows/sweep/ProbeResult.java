package dev.lmforge.workflows.sweep;

/**
 * What one probe run measured.
 *
 * @param kind          the probe's sweep kind
 * @param index         its position in the design
 * @param compute       its budget {@code C}
 * @param modelScale    {@code M} of its model (Eq. 2)
 * @param tokens        tokens it trained on, {@code D}
 * @param batchTokens   its batch size in tokens
 * @param learningRate  its peak learning rate
 * @param steps         optimizer steps it took
 * @param heldOutLoss   mean next-token loss (nats) on the sweep's held-out rows: the generalisation error the
 *                      fits use; null when the probe diverged
 * @param trainLoss     the loss of its last training step; null when it was not finite
 * @param epochs        passes over the corpus it made
 * @param heldOutSeen   whether it trained on the held-out rows too (it ran past them), which makes its
 *                      held-out loss optimistic
 * @param seconds       wall time of the training
 */
public record ProbeResult(String kind, int index, double compute, double modelScale, long tokens, long batchTokens,
                          double learningRate, long steps, Double heldOutLoss, Double trainLoss, double epochs,
                          boolean heldOutSeen, double seconds) {

    /** Whether its loss stopped being finite: the fits leave it out. */
    public boolean diverged() {
        return heldOutLoss == null;
    }
}
