package dev.lmforge.web;

import dev.lmforge.infra.LocalStack;
import dev.lmforge.services.config.LmforgeSettings;
import dev.lmforge.web.bench.ArtifactThroughput;
import dev.lmforge.web.temporal.TemporalMode;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The control plane's entry point: {@code up} (local stack and console), {@code demo [--exit-when-done]}
 * (the same, plus the bundled sample lifecycle), {@code bench orchestration}, {@code bench console} and
 * {@code bench artifacts} (the artifact store alone, without Quarkus). In local
 * mode it starts the parts of the local stack that configuration does not point elsewhere before Quarkus reads
 * its configuration.
 */
@QuarkusMain
public final class LmforgeMain {

    private LmforgeMain() {
    }

    public static void main(String... argv) throws IOException {
        List<String> args = Arrays.asList(argv);
        String mode = args.isEmpty() ? "up" : args.get(0);
        switch (mode) {
            case "up" -> { }
            case "demo" -> {
                System.setProperty("lmforge.demo.spec", System.getProperty("lmforge.demo.spec", "samples/demo.yaml"));
                System.setProperty("lmforge.demo.exit-when-done", String.valueOf(args.contains("--exit-when-done")));
            }
            case "bench" -> {
                String which = args.size() < 2 ? "" : args.get(1);
                if (which.equals("artifacts")) {
                    // The artifact store alone: an S3 server of its own, no database, Temporal or console.
                    ArtifactThroughput.main(args.subList(2, args.size()).toArray(String[]::new));
                    return;
                }
                if (!which.equals("orchestration") && !which.equals("console")) {
                    System.err.println("usage: lmforge bench orchestration [--runs N] [--smoke] | lmforge bench console "
                            + "[--smoke] | lmforge bench artifacts [--smoke] [--mb N]...");
                    System.exit(2);
                }
                System.setProperty("lmforge.bench", which);
                System.setProperty("lmforge.local-compute", "false");
                int i = args.indexOf("--runs");
                if (i > 0 && i + 1 < args.size()) {
                    System.setProperty("lmforge.bench.runs", args.get(i + 1));
                }
                if (args.contains("--smoke")) {
                    // Small enough for the test suite, so the benchmark cannot rot unnoticed.
                    System.setProperty("lmforge.bench.smoke", "true");
                    System.setProperty("lmforge.bench.runs", System.getProperty("lmforge.bench.runs", "2"));
                }
                // A private stack on free ports and a throw-away data folder, so a running lmforge is untouched.
                Path dir = Path.of(System.getProperty("java.io.tmpdir"), "lmforge-bench-" + ProcessHandle.current().pid());
                LocalStack.Options free = LocalStack.Options.onFreePorts(dir, "bench", "bench-secret");
                System.setProperty("lmforge.data-dir", dir.toString());
                System.setProperty("lmforge.s3.access-key", "bench");
                System.setProperty("lmforge.s3.secret-key", "bench-secret");
                System.setProperty("lmforge.postgres.port", String.valueOf(free.postgresPort()));
                System.setProperty("lmforge.s3.port", String.valueOf(free.s3Port()));
                System.setProperty("lmforge.temporal.port", String.valueOf(free.temporalPort()));
                System.setProperty("lmforge.temporal.ui-port", "0");
                // The console bench calls its own HTTP port, so it needs to know it before Quarkus opens it.
                System.setProperty("lmforge.http.port", which.equals("console") ? String.valueOf(freePort()) : "0");
            }
            default -> {
                System.err.println("lmforge: unknown server command '" + mode + "' (up, demo, bench orchestration, bench console)");
                System.exit(2);
            }
        }
        LmforgeSettings settings = LmforgeSettings.fromSystem();
        LocalStack stack = LocalStack.start(new LocalStack.Options(settings.dataDir(),
                settings.jdbcExternal() ? 0 : settings.postgresPort(),
                settings.s3External() ? 0 : settings.s3Port(), settings.s3AccessKey(), settings.s3SecretKey(),
                settings.temporalExternal() ? 0 : settings.temporalPort(),
                temporalUiPort(settings), LmforgeSettings.systemLookup("lmforge.temporal.cli"),
                settings.temporalNamespace(), settings.bindHost()));
        Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "lmforge-local-stack-stop"));
        advertiseToWorkers(settings);
        if (stack.temporal() != null) {
            // The control plane reads them through its configuration: the health check, the log line, the links.
            System.setProperty(TemporalMode.MODE_KEY, stack.temporal().mode());
            System.setProperty(TemporalMode.DESCRIPTION_KEY, stack.temporal().describe());
            if (stack.temporal().webUi() != null) {
                System.setProperty(TemporalMode.WEB_UI_KEY, stack.temporal().webUi());
            }
        }
        Quarkus.run();
    }

    /**
     * Tells compute workers on other hosts how to join: {@code DATA_DIR/worker.env} holds the variables
     * {@code lmforge worker} needs (the addresses as reachable as the bind host is, no credentials), and one log
     * line says the same. {@code docs/multi-host.md} explains them.
     */
    private static void advertiseToWorkers(LmforgeSettings settings) throws IOException {
        StringBuilder file = new StringBuilder("# lmforge worker settings for this stack (written at each start); on "
                + "another host: set -a; . worker.env; set +a; ./lmforge worker --queue cpu\n");
        StringBuilder line = new StringBuilder();
        settings.workerEnvironment().forEach((name, value) -> {
            file.append(name).append('=').append(value).append('\n');
            line.append(' ').append(name).append('=').append(value);
        });
        Path env = settings.dataDir().resolve("worker.env");
        Files.createDirectories(settings.dataDir());
        Files.writeString(env, file);
        System.out.println("lmforge: compute workers join with" + line + " (also in " + env + ")"
                + (settings.bindHost().equals(LmforgeSettings.DEFAULT_BIND_HOST)
                ? "; only from this machine: set LMFORGE_BIND_HOST for other hosts" : ""));
    }

    /** LMFORGE_TEMPORAL_UI_PORT, by default the gRPC port + 1000 as Temporal's own default; 0 runs it headless. */
    private static int temporalUiPort(LmforgeSettings settings) {
        String v = LmforgeSettings.systemLookup("lmforge.temporal.ui-port");
        if (v == null || v.isBlank()) {
            return settings.temporalPort() + 1000;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("lmforge.temporal.ui-port (LMFORGE_TEMPORAL_UI_PORT) must be a port number, not '" + v + "'");
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port for the console bench", e);
        }
    }
}
