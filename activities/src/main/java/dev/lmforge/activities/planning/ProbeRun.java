package dev.lmforge.activities.planning;

import dev.lmforge.activities.model.BudgetPlan;
import dev.lmforge.activities.model.ComputePrecision;
import dev.lmforge.activities.model.DecoderTrainer;
import dev.lmforge.activities.model.StepResult;
import dev.lmforge.activities.model.TokenBatchStream;
import dev.lmforge.activities.model.TrainingJob;
import dev.lmforge.activities.model.TrainingSetup;
import dev.lmforge.workflows.sweep.ProbeResult;
import dev.lmforge.workflows.sweep.SweepProbe;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.LongConsumer;

/**
 * One probe of a sweep: a short training run of its plan with {@link DecoderTrainer} (the paper's multi-step
 * schedule, no checkpoints: a retried probe starts over), then its generalisation error.
 *
 * <p>Held-out rows: the last {@code heldOutRows} rows of the first epoch in {@link TokenBatchStream}'s seeded
 * order, the same rows for every probe with the same sequence length, so that the probes of a budget are compared
 * on the same text. A probe trains from the stream's start, so it never sees them while it reads less than one
 * epoch minus those rows. A probe that reads further (a corpus too small for the budget) trains on them too and
 * its held-out loss is optimistic: {@link ProbeResult#heldOutSeen()} says so and the fit notes it. The error is
 * the mean next-token loss in nats rather than the paper's bits per byte; every probe shares one tokenizer, so the
 * two rank probes alike.
 */
final class ProbeRun {

    private ProbeRun() {
    }

    /**
     * Trains {@code plan} (the design's plan of {@code probe}) on the token shards in {@code shards}, calling
     * {@code heartbeat} with the step after each one. A loss that stops being finite ends the probe as diverged:
     * its held-out loss is null.
     */
    static ProbeResult train(SweepProbe probe, BudgetPlan plan, Path shards, SweepSettings settings,
                             LongConsumer heartbeat) throws IOException {
        TrainingJob job = TrainingJob.of(plan, TrainingJob.MULTI_STEP, settings.seed());
        int seqLen = job.shape().seqLen();
        // The whole batch in one pass: probes are the sweep's smallest runs.
        TrainingSetup setup = new TrainingSetup(job.shape(), plan.optimizer(), job.batchSequences(), 1,
                ComputePrecision.FLOAT32, settings.seed(), settings.threads(), null);
        long start = System.nanoTime();
        try (DecoderTrainer trainer = new DecoderTrainer(setup);
             TokenBatchStream data = TokenBatchStream.open(shards, seqLen, settings.seed())) {
            long firstHeldOut = data.rowsPerEpoch() - settings.heldOutRows();
            if (firstHeldOut < 1) {
                throw new IllegalArgumentException("heldOutRows: the corpus holds " + data.rowsPerEpoch() + " rows of "
                        + (seqLen + 1) + " tokens, not more than the " + settings.heldOutRows() + " to hold out");
            }
            double trainLoss = Double.NaN;
            Double heldOutLoss = null;
            long step = 0;
            while (step < job.totalSteps()) {
                StepResult result = trainer.step(data.next(job.batchSequences()), null, job.learningRateAt(step));
                step++;
                trainLoss = result.loss();
                heartbeat.accept(step);
                if (!Double.isFinite(trainLoss)) {
                    break;
                }
            }
            if (Double.isFinite(trainLoss)) {
                double loss = heldOutLoss(trainer, shards, seqLen, settings, firstHeldOut, job.batchSequences());
                heldOutLoss = Double.isFinite(loss) ? loss : null;
            }
            return new ProbeResult(probe.kind(), probe.index(), probe.compute(), plan.model().modelScale(),
                    step * job.batchTokens(), job.batchTokens(), plan.learningRate(), step, heldOutLoss,
                    Double.isFinite(trainLoss) ? trainLoss : null, (double) data.position() / data.rowsPerEpoch(),
                    data.position() > firstHeldOut, (System.nanoTime() - start) / 1e9);
        }
    }

    /** The mean loss over the held-out rows, in chunks of a training batch (equal rows, so chunk means average). */
    private static double heldOutLoss(DecoderTrainer trainer, Path shards, int seqLen, SweepSettings settings,
                                      long firstHeldOut, int chunk) throws IOException {
        try (TokenBatchStream heldOut = TokenBatchStream.open(shards, seqLen, settings.seed())) {
            heldOut.seek(firstHeldOut);
            double sum = 0;
            for (int done = 0; done < settings.heldOutRows(); ) {
                int rows = Math.min(chunk, settings.heldOutRows() - done);
                sum += trainer.loss(heldOut.next(rows), rows) * rows;
                done += rows;
            }
            return sum / settings.heldOutRows();
        }
    }
}
