package dev.lmforge.activities.worker;

import dev.lmforge.activities.AttemptCaps;
import dev.lmforge.activities.AttemptWatch;
import dev.lmforge.activities.StageRuntime;
import dev.lmforge.activities.alignment.AlignStageActivities;
import dev.lmforge.activities.data.DataStageActivities;
import dev.lmforge.activities.data.DataStepActivities;
import dev.lmforge.activities.evaluation.EvaluateStageActivities;
import dev.lmforge.activities.model.StoredModel;
import dev.lmforge.activities.planning.PlanPreviewActivities;
import dev.lmforge.activities.planning.PlanStageActivities;
import dev.lmforge.activities.planning.SweepActivitiesImpl;
import dev.lmforge.activities.tokenizer.TokenizerStageActivities;
import dev.lmforge.activities.training.PretrainStageActivities;
import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.config.LmforgeSettings;
import dev.lmforge.services.ledger.AttemptLogStore;
import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.WorkerRegistry;
import dev.lmforge.services.sources.SourceRoots;
import dev.lmforge.workflows.ComputeWorkerLauncher;
import io.temporal.client.WorkflowClient;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A compute worker: every built stage's activities, polling the given task queues, with its own connections
 * to the ledger and the artifact store, capturing each stage attempt's log ({@link AttemptLogCapture}).
 * {@code lmforge worker --queue NAME} runs one on its own; in local mode
 * the control plane runs one in process through {@link ComputeWorkerLauncher}. It reports itself to the ledger
 * every few seconds ({@link WorkerRegistry}), with the address of its inference endpoint ({@link InferenceServer}),
 * through which the console's OpenAI-compatible API reaches the models.
 */
public final class ComputeWorker implements ComputeWorkerLauncher {

    private static final Logger LOG = LoggerFactory.getLogger(ComputeWorker.class);

    @Override
    public AutoCloseable start(WorkflowClient client, Function<String, String> lookup, List<String> queues) {
        LmforgeSettings settings = LmforgeSettings.from(lookup);
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL(settings.jdbcUrl());
        // The application's role, never the schema's owner: a worker cannot touch the audit log's triggers.
        dataSource.setUser(settings.jdbcAppUser());
        dataSource.setPassword(settings.jdbcAppPassword());
        Ledger ledger = Ledger.over(dataSource);
        String identity = client.getOptions().getIdentity();
        // The worker's own secrets are redacted from attempt logs wherever they appear; the default password is none.
        List<String> secrets = Stream.of(settings.jdbcAppPassword(), settings.s3AccessKey(), settings.s3SecretKey())
                .filter(s -> !LmforgeSettings.DEFAULT_APP_PASSWORD.equals(s)).toList();
        AttemptLogCapture logs = new AttemptLogCapture(new AttemptLogStore(ledger.jdbc()), secrets);
        ArtifactStore store = ArtifactStore.of(settings);
        StageRuntime runtime = new StageRuntime(ledger, store,
                identity, SourceRoots.from(lookup, settings), AttemptCaps.from(lookup), logs);
        String concurrency = lookup.apply("lmforge.worker.concurrency");
        // Stage activities are CPU- or GPU-bound: a few at a time per worker, not the SDK's default of 200.
        int slots = concurrency == null ? 2 : Integer.parseInt(concurrency.trim());
        WorkerOptions options = WorkerOptions.newBuilder()
                .setMaxConcurrentActivityExecutionSize(slots)
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
        InferenceServer inference = startServing(lookup, settings, store);
        ScheduledExecutorService reporter = reportItself(new WorkerRegistry(ledger.jdbc()), identity, queues, slots,
                inference);
        return () -> {
            reporter.shutdownNow();
            if (inference != null) {
                inference.close();
            }
            factory.shutdownNow();
            factory.awaitTermination(10, TimeUnit.SECONDS);
            logs.close();
        };
    }

    /**
     * The worker's inference endpoint ({@link InferenceServer}), or null with {@code lmforge.serving.port=off}.
     * It listens on {@code lmforge.serving.host}, else on this host's address towards Temporal (the network the
     * console shares with its workers), else the bind host; on {@code lmforge.serving.port} (default 0: a free
     * one), holding up to {@code lmforge.serving.models} models loaded (default 2), each computing on
     * {@code lmforge.serving.threads} threads (default all cores).
     */
    private static InferenceServer startServing(Function<String, String> lookup, LmforgeSettings settings,
                                                ArtifactStore store) {
        String port = setting(lookup, "lmforge.serving.port", "0");
        if (port.equals("off")) {
            return null;
        }
        String host = setting(lookup, "lmforge.serving.host",
                addressTowards(settings.temporalTarget()).orElse(settings.bindHost()));
        int capacity = count(lookup, "lmforge.serving.models", 2, 1);
        int threads = count(lookup, "lmforge.serving.threads", Runtime.getRuntime().availableProcessors(), 1);
        int listenOn = count(lookup, "lmforge.serving.port", 0, 0);
        ServedModels models = new ServedModels(capacity, digest -> {
            Path zip = Files.createTempFile("lmforge-serving", ".zip");
            try {
                store.download(digest, zip);
                return StoredModel.open(zip, threads);
            } finally {
                Files.deleteIfExists(zip);
            }
        });
        try {
            // A few requests at once: they queue on their model's lock; more would only hold connections.
            return InferenceServer.start(host, listenOn, 8, models);
        } catch (IOException e) {
            throw new UncheckedIOException("lmforge.serving.port: cannot listen on " + host + ":" + port, e);
        }
    }

    private static String setting(Function<String, String> lookup, String key, String fallback) {
        String v = lookup.apply(key);
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    /** An integer setting of at least {@code least}; a clear error naming the key otherwise. */
    private static int count(Function<String, String> lookup, String key, int fallback, int least) {
        String v = setting(lookup, key, String.valueOf(fallback));
        try {
            int n = Integer.parseInt(v);
            if (n >= least) {
                return n;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException(key + " (" + LmforgeSettings.envName(key) + ") must be an integer of at "
                + "least " + least + ", not '" + v + "'");
    }

    /**
     * Reports this worker to the ledger now and every {@link WorkerRegistry#REPORT_INTERVAL}, so the console can
     * list it with its host, queues and slots; a report that fails (the ledger briefly away) is tried next time.
     */
    private static ScheduledExecutorService reportItself(WorkerRegistry registry, String identity, List<String> queues,
                                                         int slots, InferenceServer inference) {
        String host = hostName(identity);
        Instant started = Instant.now();
        ScheduledExecutorService reporter = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lmforge-worker-report");
            t.setDaemon(true);
            return t;
        });
        reporter.scheduleWithFixedDelay(() -> {
            try {
                registry.report(identity, host, queues, slots, started);
                if (inference != null) {
                    registry.reportServing(identity, inference.address(), inference.token(), inference.loadedModels());
                }
            } catch (RuntimeException e) {
                LOG.warn("worker {}: could not report itself to the ledger: {}", identity, e.getMessage());
            }
        }, 0, WorkerRegistry.REPORT_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        return reporter;
    }

    private static String hostName(String identity) {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            int at = identity.indexOf('@');   // the SDK's default identity is pid@host
            return at < 0 ? identity : identity.substring(at + 1);
        }
    }

    /**
     * This host's own address on its route to {@code target} ({@code host:port}, Temporal's), for the worker's
     * identity: host names repeat across network namespaces and containers, the address the others see does not.
     * Connecting a UDP socket only picks the route; nothing is sent. Empty when the target does not resolve.
     */
    public static Optional<String> addressTowards(String target) {
        int colon = target.lastIndexOf(':');
        String host = colon < 0 ? target : target.substring(0, colon);
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.connect(new InetSocketAddress(InetAddress.getByName(host), 7));
            InetAddress local = socket.getLocalAddress();
            return local.isAnyLocalAddress() ? Optional.empty() : Optional.of(local.getHostAddress());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
