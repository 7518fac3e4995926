package dev.lmforge.activities.alignment;

import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.evaluation.RepetitionRatio;
import dev.lmforge.activities.training.DecoderTrainer;
import dev.lmforge.activities.training.StepResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Supervised fine-tuning (the paper's Section 4): conversations through the {@link ChatTemplate}, the loss on
 * assistant tokens only (the trainer's loss weights are 1 there and 0 on prompts and padding), epochs and a
 * learning rate from {@link SftOptions}; with the two-stage option a second pass over the conversational
 * examples only. After each stage, the response loss and the repetition ratio.
 */
public final class SupervisedFineTuner {

    /**
     * One SFT stage's figures.
     *
     * @param phase              {@code sft} or {@code sft-conversational}
     * @param examples           conversations trained on
     * @param steps              optimizer steps
     * @param responseLossBefore mean loss per response token before the stage
     * @param responseLossAfter  the same after it
     * @param repetition         the repetition ratio after it
     */
    public record StageResult(String phase, int examples, long steps, double responseLossBefore,
                              double responseLossAfter, RepetitionRatio repetition) {
    }

    private final DecoderTrainer trainer;
    private final ChatTemplate template;
    private final SftOptions options;
    private final RepetitionProbe probe;

    public SupervisedFineTuner(DecoderTrainer trainer, ChatTemplate template, SftOptions options,
                               RepetitionProbe probe) {
        this.trainer = trainer;
        this.template = template;
        this.options = options;
        this.probe = probe;
    }

    /** The rows of {@code examples}, as this trainer's model takes them. */
    public TrainingRows rows(List<SftExample> examples) {
        return TrainingRows.of(examples.stream().map(template::encode).toList(), trainer.setup().shape().seqLen(),
                template.padding());
    }

    /**
     * Trains on every example, then (two-stage) on the conversational ones.
     *
     * @param scratch an empty directory the repetition probe may write to
     * @throws InvalidInputException if two-stage is asked for and no example is conversational
     */
    public List<StageResult> train(List<SftExample> examples, Path scratch, AlignmentProgress progress) {
        List<StageResult> results = new ArrayList<>();
        results.add(stage("sft", examples, scratch, progress));
        if (options.twoStage()) {
            List<SftExample> conversational = examples.stream().filter(SftExample::conversational).toList();
            if (conversational.isEmpty()) {
                throw new InvalidInputException("sft.twoStage needs conversational examples, and the SFT data has "
                        + "none (set \"conversational\": true on them)");
            }
            results.add(stage("sft-conversational", conversational, scratch, progress));
        }
        return results;
    }

    /** Mean negative log-probability per response token of {@code rows}; prompts and padding count for nothing. */
    public double responseLoss(TrainingRows rows) {
        int chunk = trainer.setup().sequencesPerStep();
        double sum = 0;
        for (int first = 0; first < rows.count(); first += chunk) {
            TrainingRows part = rows.select(TrainingRows.range(first, Math.min(rows.count(), first + chunk)));
            for (double rowSum : part.rowSums(trainer.targetLogProbabilities(part.tokens(), part.count()))) {
                sum -= rowSum;
            }
        }
        return sum / rows.weightTotal();
    }

    private StageResult stage(String phase, List<SftExample> examples, Path scratch, AlignmentProgress progress) {
        TrainingRows rows = rows(examples);
        double before = responseLoss(rows);
        int batch = trainer.setup().sequencesPerStep();
        long total = (long) options.epochs() * EpochBatches.perEpoch(rows.count(), batch);
        long step = 0;
        for (int epoch = 0; epoch < options.epochs(); epoch++) {
            for (int[] indices : EpochBatches.of(rows.count(), batch, options.seed(), epoch)) {
                TrainingRows part = rows.select(indices);
                double rate = options.shape().at(options.learningRate(), step, total);
                StepResult result = trainer.step(part.tokens(), part.weights(), rate);
                progress.stepped(phase, ++step, total, result.loss());
            }
        }
        return new StageResult(phase, examples.size(), step, before, responseLoss(rows),
                probe.measure(trainer, scratch.resolve(phase)));
    }
}
