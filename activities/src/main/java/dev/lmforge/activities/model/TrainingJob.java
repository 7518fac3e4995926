package dev.lmforge.activities.model;


/**
 * What one pretraining run trains: the model, the batch, the schedule and the seed. It comes from the plan
 * (a fresh run), from the checkpoint a retried or resumed run continues, or from a finished run's boundary
 * checkpoint stretched to a larger budget (continual training).
 *
 * @param shape            the model
 * @param batchSequences   sequences per optimizer step
 * @param peakLearningRate the schedule's peak
 * @param totalSteps       optimizer steps of the whole run
 * @param schedule         {@code multi-step} or {@code cosine}
 * @param seed             seeds the initial weights and the data order
 */
public record TrainingJob(ModelShape shape, int batchSequences, double peakLearningRate, long totalSteps,
                          String schedule, long seed) {

    /** The schedule names a spec may give. */
    public static final String MULTI_STEP = "multi-step";
    public static final String COSINE = "cosine";

    /** A fresh run of {@code plan}. */
    public static TrainingJob of(BudgetPlan plan, String schedule, long seed) {
        return new TrainingJob(plan.model().shape(), plan.batchSequences(), plan.learningRate(), plan.steps(),
                schedule, seed);
    }

    /** The job a checkpoint belongs to. */
    public static TrainingJob of(TrainingCheckpoint checkpoint) {
        return new TrainingJob(checkpoint.shape(), checkpoint.batchSequences(), checkpoint.peakLearningRate(),
                checkpoint.totalSteps(), checkpoint.schedule(), checkpoint.seed());
    }

    /**
     * Continual training (the paper's Figure 1b): the same model, batch, peak and seed as the finished run whose
     * boundary checkpoint this is, trained on the tokens that {@code compute} buys for that model ({@code C / M}).
     */
    public static TrainingJob extended(TrainingCheckpoint boundary, double compute) {
        double tokens = compute / ModelScale.of(boundary.shape()).modelScale();
        long steps = (long) Math.ceil(tokens / ((double) boundary.batchSequences() * boundary.shape().seqLen()));
        return new TrainingJob(boundary.shape(), boundary.batchSequences(), boundary.peakLearningRate(), steps,
                MULTI_STEP, boundary.seed());
    }

    /** Tokens per optimizer step. */
    public long batchTokens() {
        return (long) batchSequences * shape.seqLen();
    }

    /** The learning rate at {@code step}. */
    public double learningRateAt(long step) {
        return schedule.equals(COSINE)
                ? CosineSchedule.of(peakLearningRate, totalSteps).learningRateAt(step)
                : LearningRateSchedule.multiStep(peakLearningRate, totalSteps).learningRateAt(step);
    }

    /**
     * Steps after which the boundary checkpoint is taken: where the multi-step schedule first drops (80 % of the
     * tokens); a cosine run has no such point, but keeps the checkpoint at the same share for comparison.
     */
    public long boundaryStep() {
        return schedule.equals(COSINE)
                ? Math.round(PaperLaws.FIRST_DECAY_TOKEN_FRACTION * totalSteps)
                : LearningRateSchedule.multiStep(peakLearningRate, totalSteps).drops().get(0).fromStep();
    }
}
