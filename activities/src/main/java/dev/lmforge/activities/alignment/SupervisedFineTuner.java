package dev.lmforge.activities.alignment;

import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.model.DecoderTrainer;
import dev.lmforge.activities.model.StepResult;
import dev.lmforge.activities.text.RepetitionRatio;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Supervised fine-tuning (the paper's Section 4): conversations through the {@link ChatTemplate}, the loss on
 * assistant tokens only (the trainer's loss weights are 1 there and 0 on prompts and padding), epochs and a
 * learning rate from {@link SftOptions}; with the two-stage option a second pass over the conversational
 * examples only. After each stage, the response loss and the repetition ratio. A stage can continue from a
 * {@link PhasePosition} that a checkpoint holds.
 */
public final class SupervisedFineTuner {

    /**
     * One SFT stage's figures.
     *
     * @param phase              {@value PhasePosition#SFT} or {@value PhasePosition#SFT_CONVERSATIONAL}
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

    /** The SFT stages this run has, in order: {@value PhasePosition#SFT}, then (two-stage) the conversational one. */
    public List<String> phases() {
        return options.twoStage() ? List.of(PhasePosition.SFT, PhasePosition.SFT_CONVERSATIONAL)
                : List.of(PhasePosition.SFT);
    }

    /**
     * Trains on every example, then (two-stage) on the conversational ones, from the start.
     *
     * @param scratch an empty directory the repetition probe may write to
     * @throws InvalidInputException if two-stage is asked for and no example is conversational
     */
    public List<StageResult> train(List<SftExample> examples, Path scratch, AlignmentProgress progress) {
        List<StageResult> results = new ArrayList<>();
        for (String phase : phases()) {
            results.add(stage(PhasePosition.start(phase), examples, scratch, progress));
        }
        return results;
    }

    /**
     * One SFT stage, from {@code from}: the stage's start, or where a checkpoint left it (the trainer holding that
     * checkpoint's variables).
     *
     * @param examples all examples; the conversational stage picks its own
     * @param scratch  an empty directory the repetition probe may write to
     * @throws InvalidInputException if this is the conversational stage and no example is conversational
     */
    public StageResult stage(PhasePosition from, List<SftExample> examples, Path scratch,
                             AlignmentProgress progress) {
        List<SftExample> trained = examples;
        if (from.phase().equals(PhasePosition.SFT_CONVERSATIONAL)) {
            trained = examples.stream().filter(SftExample::conversational).toList();
            if (trained.isEmpty()) {
                throw new InvalidInputException("sft.twoStage needs conversational examples, and the SFT data has "
                        + "none (set \"conversational\": true on them)");
            }
        }
        TrainingRows rows = rows(trained);
        double before = from.responseLossBefore() != null ? from.responseLossBefore() : responseLoss(rows);
        int batch = trainer.setup().sequencesPerStep();
        long total = (long) options.epochs() * EpochBatches.perEpoch(rows.count(), batch);
        long step = from.step();
        for (int[] indices : EpochBatches.from(rows.count(), batch, options.seed(), options.epochs(), step)) {
            TrainingRows part = rows.select(indices);
            StepResult result = trainer.step(part.tokens(), part.weights(),
                    options.shape().at(options.learningRate(), step, total));
            step++;
            progress.stepped(new PhasePosition(from.phase(), step, before, null), total, result.loss());
        }
        return new StageResult(from.phase(), trained.size(), step, before, responseLoss(rows),
                probe.measure(trainer, scratch.resolve(from.phase())));
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

}
