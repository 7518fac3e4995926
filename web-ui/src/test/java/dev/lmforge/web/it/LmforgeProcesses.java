package dev.lmforge.web.it;

import dev.lmforge.infra.LocalStack;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Starts lmforge as a user does, in separate processes: the packaged console ({@code quarkus-run.jar up}) and
 * compute workers ({@code lmforge worker}, here or in a network namespace), so that tests can kill them with
 * SIGKILL.
 */
final class LmforgeProcesses implements AutoCloseable {

    final Path dataDir;
    final int httpPort = LocalStack.freePort();
    final int postgresPort = LocalStack.freePort();
    final int s3Port = LocalStack.freePort();
    final int temporalPort = LocalStack.freePort();
    final int temporalUiPort = LocalStack.freePort();
    /** The address the stack and the console listen on ({@code LMFORGE_BIND_HOST}). */
    final String bindHost;
    /** More environment for every process, e.g. the queues' names. */
    private final Map<String, String> commonEnv;
    private final List<Process> started = new ArrayList<>();
    private final Map<Process, Path> logFiles = new HashMap<>();
    private int logs;

    LmforgeProcesses(Path dataDir) {
        this(dataDir, LocalStack.LOOPBACK, Map.of());
    }

    LmforgeProcesses(Path dataDir, String bindHost, Map<String, String> commonEnv) {
        this.dataDir = dataDir;
        this.bindHost = bindHost;
        this.commonEnv = commonEnv;
    }

    String baseUrl() {
        return "http://" + bindHost + ":" + httpPort;
    }

    private Map<String, String> env() {
        Map<String, String> env = new HashMap<>(commonEnv);
        env.put("LMFORGE_BIND_HOST", bindHost);
        env.putAll(Map.of("LMFORGE_DATA_DIR", dataDir.toString(),
                "LMFORGE_HTTP_PORT", String.valueOf(httpPort),
                "LMFORGE_POSTGRES_PORT", String.valueOf(postgresPort),
                "LMFORGE_S3_PORT", String.valueOf(s3Port),
                "LMFORGE_TEMPORAL_PORT", String.valueOf(temporalPort),
                "LMFORGE_TEMPORAL_UI_PORT", String.valueOf(temporalUiPort),
                // the processes start in web-ui/, the bundled corpus is the repository's
                "LMFORGE_SOURCE_ROOTS", sourceRoots()));
        return env;
    }

    private static String sourceRoots() {
        return Path.of("../samples").toAbsolutePath().normalize().toString();
    }

    /** Starts the console with the local stack and waits until it is healthy. */
    Process startServer(boolean localCompute) throws Exception {
        return startServer(localCompute, Map.of());
    }

    /** The same, with more environment (e.g. {@code LMFORGE_TEMPORAL_CLI=none} for the fallback server). */
    Process startServer(boolean localCompute, Map<String, String> extraEnv) throws Exception {
        Map<String, String> env = new HashMap<>(extraEnv);
        env.put("LMFORGE_LOCAL_COMPUTE", String.valueOf(localCompute));
        Process p = start(List.of("java", "-Djava.io.tmpdir=" + tmp(), "-jar", System.getProperty("lmforge.app.jar"), "up"), env);
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (true) {
            if (!p.isAlive()) {
                String log = log(p);
                throw new IllegalStateException("lmforge up exited with " + p.exitValue() + "; its log ends:\n"
                        + log.substring(Math.max(0, log.length() - 4000)));
            }
            try {
                HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(baseUrl() + "/q/health/ready"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return p;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("lmforge up did not become healthy; see " + dataDir + "/logs");
            }
            Thread.sleep(500);
        }
    }

    /** Starts a compute worker polling the cpu and gpu queues. */
    Process startWorker() throws IOException {
        String cp = System.getProperty("lmforge.activities.jar") + ":" + System.getProperty("lmforge.activities.lib") + "/*";
        return start(List.of("java", "-Djava.io.tmpdir=" + tmp(), "-cp", cp, "dev.lmforge.activities.cli.LmforgeCli",
                "worker", "--queue", "cpu", "--queue", "gpu"), Map.of());
    }

    /**
     * Starts a compute worker polling {@code queue} inside network namespace {@code netns}, as one on another host
     * would run: its environment is only what the console advertised in {@code DATA_DIR/worker.env} (plus its own
     * data folder and where its corpora are), nothing of this process's.
     */
    Process startWorkerIn(String netns, String queue) throws IOException {
        Map<String, String> env = new HashMap<>();
        for (String line : Files.readAllLines(dataDir.resolve("worker.env"))) {
            int eq = line.indexOf('=');
            if (!line.startsWith("#") && eq > 0) {
                env.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        Path own = Files.createDirectories(dataDir.resolve(netns));
        Path tmp = Files.createDirectories(own.resolve("tmp"));
        env.put("PATH", System.getenv("PATH"));
        env.put("LMFORGE_DATA_DIR", own.toString());
        env.put("LMFORGE_SOURCE_ROOTS", sourceRoots());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("lmforge.activities.jar") + ":" + System.getProperty("lmforge.activities.lib") + "/*";
        // ip netns exec execs the command in place, so the process is the worker's JVM itself: SIGKILL reaches it.
        return start(List.of("ip", "netns", "exec", netns, java, "-Djava.io.tmpdir=" + tmp, "-cp", cp,
                "dev.lmforge.activities.cli.LmforgeCli", "worker", "--queue", queue), env, true);
    }

    /** What a command-line run printed (standard output and error together) and how it exited. */
    record CliResult(int exitCode, String output) {
    }

    /** Runs {@code lmforge ARGS...} (the CLI of the activities jar) against this lmforge, to its end. */
    CliResult cli(Map<String, String> extraEnv, String... args) throws IOException, InterruptedException {
        String cp = System.getProperty("lmforge.activities.jar") + ":" + System.getProperty("lmforge.activities.lib") + "/*";
        List<String> command = new ArrayList<>(List.of("java", "-Djava.io.tmpdir=" + tmp(), "-cp", cp,
                "dev.lmforge.activities.cli.LmforgeCli"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env());
        pb.environment().put("LMFORGE_URL", baseUrl());
        pb.environment().putAll(extraEnv);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new CliResult(p.waitFor(), output);
    }

    private Path tmp() throws IOException {
        return Files.createDirectories(dataDir.resolve("tmp"));
    }

    private Process start(List<String> command, Map<String, String> extraEnv) throws IOException {
        return start(command, extraEnv, false);
    }

    private Process start(List<String> command, Map<String, String> extraEnv, boolean onlyExtraEnv) throws IOException {
        Path logDir = Files.createDirectories(dataDir.resolve("logs"));
        Path log = logDir.resolve((logs++) + "-" + command.get(command.size() - 1) + ".log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        if (onlyExtraEnv) {
            pb.environment().clear();
        } else {
            pb.environment().putAll(env());
        }
        pb.environment().putAll(extraEnv);
        Process p = pb.start();
        started.add(p);
        logFiles.put(p, log);
        return p;
    }

    /** Waits until a started process's output contains {@code text}. */
    void awaitLog(Process p, String text, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!log(p).contains(text)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("no '" + text + "' from the process; see " + logFiles.get(p));
            }
            Thread.sleep(250);
        }
    }

    /** What a started process has written to its standard output and error so far. */
    String log(Process p) throws IOException {
        return Files.readString(logFiles.get(p));
    }

    /**
     * SIGKILL, all at once, every process this lmforge runs: the consoles and workers started here, their children
     * (the Temporal server) and the PostgreSQL server the local stack left detached, as a power cut would.
     */
    void killEverything() throws IOException, InterruptedException {
        List<ProcessHandle> all = new ArrayList<>();
        for (Process p : started) {
            p.descendants().forEach(all::add);
            all.add(p.toHandle());
        }
        Path postmaster = dataDir.resolve("postgres").resolve("postmaster.pid");
        if (Files.exists(postmaster)) {
            ProcessHandle.of(Long.parseLong(Files.readAllLines(postmaster).get(0).strip())).ifPresent(pg -> {
                pg.descendants().forEach(all::add);
                all.add(pg);
            });
        }
        all.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle h : all) {
            h.onExit().join();
        }
    }

    /** SIGKILL, as a crash or an OOM killer would. */
    static void kill(Process p) throws InterruptedException {
        p.destroyForcibly();
        p.waitFor();
    }

    @Override
    public void close() throws Exception {
        for (Process p : started) {
            if (p.isAlive()) {
                p.destroy();
                if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }
}
