package dev.lmforge.activities.planning;

import dev.lmforge.activities.model.Require;


/**
 * One run of a hyperparameter sweep: its budget, batch size in tokens, peak learning rate and final
 * generalisation error. Points of one budget share its {@code compute} value exactly.
 */
public record HyperparameterPoint(double compute, double batchTokens, double learningRate, double loss) {

    public HyperparameterPoint {
        Require.positiveFinite("compute", compute);
        Require.positiveFinite("batch_tokens", batchTokens);
        Require.positiveFinite("lr", learningRate);
        Require.positiveFinite("loss", loss);
    }
}
