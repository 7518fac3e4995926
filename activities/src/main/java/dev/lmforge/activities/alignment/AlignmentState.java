package dev.lmforge.activities.alignment;

import dev.lmforge.services.ledger.Records.MetricPoint;
import java.util.List;
import java.util.Map;

/**
 * What an alignment checkpoint holds besides the trainer's variables (as its
 * {@link dev.lmforge.activities.model.TrainingCheckpoint#stageState}): where alignment stands and every figure
 * gathered so far, so that an attempt restoring it continues exactly and reports what an uninterrupted one would.
 *
 * @param position where to continue: a phase and its step ({@value PhasePosition#DONE} once DPO has finished)
 * @param sft      the finished SFT stages' figures, in order
 * @param dpo      DPO's figures once it has finished, else null
 * @param losses   the {@code sft_loss} and {@code dpo_loss} points so far, by the trainer's step
 */
public record AlignmentState(PhasePosition position, List<SupervisedFineTuner.StageResult> sft,
                             DirectPreferenceOptimizer.Result dpo, Map<String, List<MetricPoint>> losses) {

    /** Before the first SFT step. */
    public static AlignmentState start() {
        return new AlignmentState(PhasePosition.start(PhasePosition.SFT), List.of(), null, Map.of());
    }
}
