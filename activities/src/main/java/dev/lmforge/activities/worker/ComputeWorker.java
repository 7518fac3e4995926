package dev.lmforge.activities.worker;

import dev.lmforge.activities.AttemptCaps;
import dev.lmforge.activities.AttemptWatch;
import dev.lmforge.activities.StageRuntime;
import dev.lmforge.activities.alignment.AlignStageActivities;
import dev.lmforge.activities.data.DataStageActivities;
import dev.lmforge.activities.data.DataStepActivities;
import dev.lmforge.activities.evaluation.EvaluateStageActivities;
import dev.lmforge.activities.planning.PlanPreviewActivities;
import dev.lmforge.activities.planning.PlanStageActivities;
import dev.lmforge.activities.planning.SweepActivitiesImpl;
import dev.lmforge.activities.tokenizer.TokenizerStageActivities;
import dev.lmforge.activities.training.PretrainStageActivities;
import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.config.LmforgeSettings;
import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.sources.SourceRoots;
import dev.lmforge.workflows.ComputeWorkerLauncher;
import io.temporal.client.WorkflowClient;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerOptions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A compute worker: every built stage's activities, polling the given task queues, with its own connections
 * to the ledger and the artifact store. {@code lmforge worker --queue NAME} runs one on its own; in local mode
 * the control plane runs one in process through {@link ComputeWorkerLauncher}.
 */
public final class ComputeWorker implements ComputeWorkerLauncher {

    @Override
    public AutoCloseable start(WorkflowClient client, Function<String, String> lookup, List<String> queues) {
        LmforgeSettings settings = LmforgeSettings.from(lookup);
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL(settings.jdbcUrl());
        // The application's role, never the schema's owner: a worker cannot touch the audit log's triggers.
        dataSource.setUser(settings.jdbcAppUser());
        dataSource.setPassword(settings.jdbcAppPassword());
        StageRuntime runtime = new StageRuntime(Ledger.over(dataSource), ArtifactStore.of(settings),
                client.getOptions().getIdentity(), SourceRoots.from(lookup, settings), AttemptCaps.from(lookup));
        String concurrency = lookup.apply("lmforge.worker.concurrency");
        // Stage activities are CPU- or GPU-bound: a few at a time per worker, not the SDK's default of 200.
        WorkerOptions options = WorkerOptions.newBuilder()
                .setMaxConcurrentActivityExecutionSize(concurrency == null ? 2 : Integer.parseInt(concurrency.trim()))
                // Heartbeats reach the server within seconds: cancels are seen that fast, and AttemptWatch can
                // tell when the server has given an attempt up.
                .setMaxHeartbeatThrottleInterval(AttemptWatch.MAX_THROTTLE)
                .build();
        WorkerFactory factory = WorkerFactory.newInstance(client);
        for (String queue : queues) {
            Worker worker = factory.newWorker(queue, options);
            worker.registerActivitiesImplementations(new DataStageActivities(runtime), new DataStepActivities(runtime),
                    new TokenizerStageActivities(runtime),
                    new PlanStageActivities(runtime), new SweepActivitiesImpl(runtime),
                    new PretrainStageActivities(runtime),
                    new EvaluateStageActivities(runtime), new AlignStageActivities(runtime), new PlanPreviewActivities());
        }
        factory.start();
        return () -> {
            factory.shutdownNow();
            factory.awaitTermination(10, TimeUnit.SECONDS);
        };
    }
}
