package dev.lmforge.activities.model;



/**
 * The four laws a plan is drawn from, each {@code f(C)} of the compute budget, and where each pair came from:
 * the paper's (Eq. 1 and Eq. 4) until a sweep fits the project's own.
 *
 * @param learningRate         {@code η_opt(C)}, the peak learning rate
 * @param batchTokens          {@code B_opt(C)}, the batch size in tokens
 * @param modelScale           {@code M_opt(C)}, non-embedding FLOPs per token
 * @param dataTokens           {@code D_opt(C)}, training tokens
 * @param hyperparameterSource where {@code learningRate} and {@code batchTokens} came from
 * @param allocationSource     where {@code modelScale} and {@code dataTokens} came from
 */
public record ScalingLaws(PowerLaw learningRate, PowerLaw batchTokens, PowerLaw modelScale, PowerLaw dataTokens,
                          String hyperparameterSource, String allocationSource) {

    public ScalingLaws {
        if (learningRate == null || batchTokens == null || modelScale == null || dataTokens == null) {
            throw new IllegalArgumentException("scaling laws need all four of learningRate, batchTokens, "
                    + "modelScale and dataTokens");
        }
    }

    /** The paper's laws: Eq. 1 for the hyperparameters, Eq. 4 for the model/data allocation. */
    public static ScalingLaws paper() {
        return new ScalingLaws(PaperLaws.LEARNING_RATE, PaperLaws.BATCH_TOKENS, PaperLaws.MODEL_SCALE,
                PaperLaws.DATA_TOKENS, "paper Eq. 1", "paper Eq. 4");
    }

    /** These laws with fitted hyperparameter laws, e.g. from the planning stage's {@code HyperparameterFit}. */
    public ScalingLaws withHyperparameters(PowerLaw learningRate, PowerLaw batchTokens, String source) {
        return new ScalingLaws(learningRate, batchTokens, modelScale, dataTokens, source, allocationSource);
    }

    /** These laws with a fitted model/data allocation, e.g. from the planning stage's {@code IsoFlopFit}. */
    public ScalingLaws withAllocation(PowerLaw modelScale, PowerLaw dataTokens, String source) {
        return new ScalingLaws(learningRate, batchTokens, modelScale, dataTokens, hyperparameterSource, source);
    }
}
