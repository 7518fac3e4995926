package dev.lmforge.web.bench;

import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.config.LmforgeSettings;
import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.RunStore;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.web.auth.FirstAdminBootstrap;
import dev.lmforge.web.runs.RunService;
import dev.lmforge.web.temporal.ControlPlane;
import io.quarkus.runtime.StartupEvent;
import io.temporal.worker.WorkerFactory;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * {@code lmforge bench orchestration}: the platform's own costs on the local stack. (1) Per-stage overhead of
 * the lifecycle with no-op stages, executed and reused from the cache, as the median of many runs, on the real
 * Temporal server and, in a child process of the same run, on the in-process Java test server as the baseline.
 * (2) Artifact put and get throughput for 1 MB, 64 MB and 1 GB objects against a plain file copy of the same bytes
 * on the same disk, with the peak heap of each ({@link ArtifactThroughput}). {@code --smoke} makes it small enough for the test suite. It prints
 * figures; it asserts nothing.
 */
@ApplicationScoped
public class OrchestrationBench {

    private static final long MB = 1024 * 1024;

    @Inject
    ControlPlane controlPlane;
    @Inject
    RunService runs;
    @Inject
    Ledger ledger;
    @Inject
    ArtifactStore artifacts;
    @Inject
    LmforgeSettings settings;
    @Inject
    UserStore users;
    @ConfigProperty(name = "lmforge.bench")
    Optional<String> bench;
    @ConfigProperty(name = "lmforge.bench.runs", defaultValue = "40")
    int runCount;
    @ConfigProperty(name = "lmforge.bench.smoke", defaultValue = "false")
    boolean smoke;
    /** Set in the child that measures the baseline server: the stage overhead only. */
    @ConfigProperty(name = "lmforge.bench.overhead-only", defaultValue = "false")
    boolean overheadOnly;

    void run(@Observes @Priority(20) StartupEvent event) {
        if (!bench.orElse("").equals("orchestration")) {
            return;
        }
        BenchThread.start(this::measure);
    }

    private void measure() throws Exception {
        System.out.printf("lmforge bench orchestration: %d cores, max heap %d MB; %s%n",
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() / MB,
                controlPlane.mode().description());
        WorkerFactory factory = WorkerFactory.newInstance(controlPlane.client());
        NoOpStages noOp = new NoOpStages(artifacts, ledger.artifacts());
        factory.newWorker(settings.cpuQueue()).registerActivitiesImplementations(noOp);
        factory.start();
        try {
            stageOverhead();
        } finally {
            factory.shutdown();
        }
        if (overheadOnly) {
            return;
        }
        if (controlPlane.mode().durable()) {
            baselineOnTheTestServer();
        }
        ArtifactThroughput.measure(artifacts, Files.createDirectories(settings.dataDir().resolve("bench-artifacts")),
                smoke ? ArtifactThroughput.SMOKE : ArtifactThroughput.FULL, System.out);
    }

    /**
     * The same stage overhead on Temporal's in-process Java test server, the baseline: a child process of this
     * bench (one Temporal per stack), with the same run count, whose figures print under these.
     */
    private void baselineOnTheTestServer() throws IOException, InterruptedException {
        System.out.println("baseline: the same on Temporal's in-process Java test server (a child process)");
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.addAll(List.of("-Dlmforge.bench.overhead-only=true", "-Dlmforge.temporal.cli=none",
                "-Dlmforge.bench.runs=" + runCount, "-cp", System.getProperty("java.class.path"),
                "io.quarkus.bootstrap.runner.QuarkusEntryPoint", "bench", "orchestration"));
        Process child = new ProcessBuilder(command).inheritIO().start();
        if (child.waitFor() != 0) {
            throw new IllegalStateException("the baseline bench on the test server exited with " + child.exitValue());
        }
    }

    private void stageOverhead() throws InterruptedException {
        int warmup = smoke ? 1 : 5;
        List<Double> executed = new ArrayList<>();
        List<Double> reused = new ArrayList<>();
        for (int i = 0; i < runCount + warmup; i++) {
            double fresh = timeRun(1000 + i);
            double cached = timeRun(999);
            if (i >= warmup) {
                executed.add(fresh / 2);
                reused.add(cached / 2);
            }
        }
        System.out.printf("stage overhead, executed no-op stage: median %.1f ms, p90 %.1f ms (%d runs of 2 stages)%n",
                percentile(executed, 0.5), percentile(executed, 0.9), executed.size());
        System.out.printf("stage overhead, stage reused from cache: median %.1f ms, p90 %.1f ms%n",
                percentile(reused, 0.5), percentile(reused, 0.9));
    }

    /**
     * Submits a two-stage lifecycle (no-op tokenizer and plan) and waits for it; the run's wall time in ms,
     * submission included. Equal {@code variant}s give equal cache keys.
     */
    private double timeRun(int variant) throws InterruptedException {
        String spec = "name: bench\nstages: [tokenizer, plan]\ntokenizer:\n  vocabSize: " + variant
                + "\ncompute:\n  budget: 1.0e15\n";
        long start = System.nanoTime();
        String id = runs.submit(spec, users.user(FirstAdminBootstrap.ADMIN).orElseThrow()).id();
        while (!RunStore.TERMINAL.contains(ledger.runs().run(id).orElseThrow().status())) {
            Thread.sleep(1);
        }
        double ms = (System.nanoTime() - start) / 1e6;
        String status = ledger.runs().run(id).orElseThrow().status();
        if (!status.equals("SUCCEEDED")) {
            throw new IllegalStateException("bench run " + id + " ended " + status);
        }
        return ms;
    }

    /** The {@code q} quantile of {@code values} (the nearest rank). */
    static double percentile(List<Double> values, double q) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get((int) Math.min(sorted.size() - 1, Math.floor(q * sorted.size())));
    }
}
