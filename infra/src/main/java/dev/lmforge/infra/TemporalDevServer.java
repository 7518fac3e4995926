package dev.lmforge.infra;

import io.temporal.api.workflowservice.v1.DescribeNamespaceRequest;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Temporal server: the Temporal CLI's {@code temporal server start-dev} (frontend, history, matching and
 * worker services in one process) with its executions, timers, task queues and visibility in one SQLite file. It
 * listens on 127.0.0.1; given another address of this machine, it offers its frontend there through a
 * {@link TcpRelay} (its own services can only reach one another on loopback) and its Web UI there too, and nothing
 * on any other address. Its pid is kept beside the file, so that a server orphaned by a SIGKILLed lmforge is found
 * and stopped on the next start; a server that dies while lmforge runs is started again on the same file (the SDK
 * retries meanwhile, so workflows and workers just wait).
 */
public final class TemporalDevServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(TemporalDevServer.class.getName());
    /** The first 16 bytes of every SQLite 3 database file. */
    private static final byte[] SQLITE_HEADER = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);
    private static final Duration STARTUP = Duration.ofSeconds(90);

    private final Path cli;
    private final Path dbFile;
    private final String host;
    private final int port;
    private final int uiPort;
    private final String namespace;
    private final Path pidFile;
    private final Path logFile;
    private volatile Process process;
    private volatile boolean closing;
    private TcpRelay relay;

    private TemporalDevServer(Path cli, Path stateDir, String host, int port, int uiPort, String namespace) {
        this.cli = cli;
        this.dbFile = stateDir.resolve("temporal.db");
        this.host = host;
        this.port = port;
        this.uiPort = uiPort;
        this.namespace = namespace;
        this.pidFile = stateDir.resolve("server.pid");
        this.logFile = stateDir.resolve("server.log");
    }

    /**
     * Starts the server with its state in {@code stateDir/temporal.db} on {@code port} ({@code uiPort} 0: no Web
     * UI), creates {@code namespace}, and returns once the namespace answers. A foreign or corrupt file, a taken
     * port or a server that does not come up is an {@link IllegalStateException} naming it.
     */
    public static TemporalDevServer start(Path cli, Path stateDir, int port, int uiPort, String namespace) {
        return start(cli, stateDir, LocalStack.LOOPBACK, port, uiPort, namespace);
    }

    /** The same, the server and its Web UI listening on {@code host} (one address of this machine) instead. */
    public static TemporalDevServer start(Path cli, Path stateDir, String host, int port, int uiPort, String namespace) {
        try {
            Files.createDirectories(stateDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TemporalDevServer server = new TemporalDevServer(cli, stateDir, host, port, uiPort, namespace);
        server.stopOrphan();
        server.checkDatabaseFile();
        requireFreePort(host, port, "Temporal's gRPC port (LMFORGE_TEMPORAL_PORT)");
        if (uiPort > 0) {
            requireFreePort(host, uiPort, "the Temporal Web UI's port (LMFORGE_TEMPORAL_UI_PORT)");
        }
        boolean relayed = !isLoopback(host);
        if (relayed) {
            requireFreePort(LocalStack.LOOPBACK, port, "Temporal's gRPC port (LMFORGE_TEMPORAL_PORT)");
        }
        server.launch();
        if (relayed) {
            try {
                server.relay = TcpRelay.start(InetAddress.getByName(host), port,
                        new InetSocketAddress(LocalStack.LOOPBACK, port));
            } catch (IOException | RuntimeException e) {
                server.close();
                throw new IllegalStateException("could not offer Temporal on " + host + ":" + port + ": " + e.getMessage(), e);
            }
        }
        return server;
    }

    /** host:port of the frontend, as other processes and hosts reach it. */
    public String address() {
        return host + ":" + port;
    }

    /** Where the server itself listens, which this class waits on. */
    private String loopbackAddress() {
        return LocalStack.LOOPBACK + ":" + port;
    }

    /** The SQLite file that holds the server's state. */
    public Path databaseFile() {
        return dbFile;
    }

    /** The Web UI's address, or null when it runs headless. */
    public String webUiUrl() {
        return uiPort > 0 ? "http://" + host + ":" + uiPort : null;
    }

    /** The server process's pid (it changes when a dead server is started again). */
    public long pid() {
        return process.pid();
    }

    private List<String> command() {
        List<String> command = new ArrayList<>(List.of(cli.toString(), "server", "start-dev",
                "--db-filename", dbFile.toString(), "--ip", LocalStack.LOOPBACK, "--port", String.valueOf(port),
                "--log-level", "warn"));
        // The metrics and HTTP API ports are left to the server, which picks free ones, so they never clash.
        if (uiPort > 0) {
            command.addAll(List.of("--ui-ip", host, "--ui-port", String.valueOf(uiPort), "--ui-disable-news-fetch"));
        } else {
            command.add("--headless");
        }
        if (!namespace.equals("default")) {
            command.addAll(List.of("--namespace", namespace));
        }
        return command;
    }

    private synchronized void launch() {
        try {
            Process p = new ProcessBuilder(command()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
            process = p;
            Files.writeString(pidFile, p.pid() + "\n");
            awaitNamespace(p);
            p.onExit().thenAccept(this::restartAfterDeath);
        } catch (IOException e) {
            throw new IllegalStateException("could not run the Temporal CLI " + cli + ": " + e.getMessage(), e);
        }
    }

    /** Polls DescribeNamespace until it answers; a server that exits first fails naming why, and its file. */
    private void awaitNamespace(Process p) {
        long logStart = logLength();
        WorkflowServiceStubs stubs = WorkflowServiceStubs.newServiceStubs(
                WorkflowServiceStubsOptions.newBuilder().setTarget(loopbackAddress()).build());
        try {
            long deadline = System.nanoTime() + STARTUP.toNanos();
            while (true) {
                if (!p.isAlive()) {
                    throw new IllegalStateException(whyItExited(p.exitValue(), logStart));
                }
                try {
                    stubs.blockingStub().withDeadlineAfter(2, TimeUnit.SECONDS)
                            .describeNamespace(DescribeNamespaceRequest.newBuilder().setNamespace(namespace).build());
                    return;
                } catch (RuntimeException notYet) {
                    if (System.nanoTime() > deadline) {
                        p.destroyForcibly();
                        throw new IllegalStateException("the Temporal server on " + loopbackAddress() + " did not answer within "
                                + STARTUP.toSeconds() + " s (" + notYet.getMessage() + "); see " + logFile);
                    }
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IllegalStateException("interrupted while waiting for the Temporal server", e);
        } finally {
            stubs.shutdownNow();
        }
    }

    /** The server's own last error line, said of the file when it is the file the server could not use. */
    private String whyItExited(int code, long logStart) {
        String said = lastLine(logStart);
        if (said.contains("database is locked")) {
            return dbFile + " is in use by another process (the server said: " + said + "); stop it first";
        }
        if (said.contains("no such table") || said.contains("not a database") || said.contains("malformed")) {
            return dbFile + " is not a Temporal database (the server refused it: " + said + "); lmforge does not "
                    + "replace it: move it away to start with an empty Temporal";
        }
        return "the Temporal server exited with " + code + " on start (" + said + "); see " + logFile;
    }

    /**
     * Refuses a file that is not SQLite before the server sees it: a SQLite database begins with its 16-byte
     * header. (An empty file is one the server has not written yet, which SQLite opens as a new database.)
     */
    private void checkDatabaseFile() {
        if (!Files.exists(dbFile)) {
            return;
        }
        try (InputStream in = Files.newInputStream(dbFile)) {
            byte[] head = in.readNBytes(SQLITE_HEADER.length);
            if (head.length > 0 && !Arrays.equals(head, SQLITE_HEADER)) {
                throw new IllegalStateException(dbFile + " is not a SQLite database (it lacks SQLite's header), so "
                        + "not Temporal's state; lmforge does not replace it: move it away to start with an empty Temporal");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read Temporal's state file " + dbFile + ": " + e.getMessage(), e);
        }
    }

    /**
     * A SIGKILLed lmforge leaves its Temporal server running, holding the file and the port. Stop it, but only a
     * process that really is our server: a {@code temporal server start-dev} on this very file.
     */
    private void stopOrphan() {
        if (!Files.exists(pidFile)) {
            return;
        }
        long pid;
        try {
            pid = Long.parseLong(Files.readString(pidFile).trim());
        } catch (IOException | NumberFormatException e) {
            return;  // an unreadable pid file names no process we could safely stop
        }
        ProcessHandle.of(pid).filter(this::isOurServer).ifPresent(orphan -> {
            LOG.log(Level.WARNING, "stopping the Temporal server (pid {0}) that a previous lmforge left running on {1}",
                    pid, dbFile);
            orphan.destroy();
            try {
                orphan.onExit().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                orphan.destroyForcibly();
            }
        });
    }

    private boolean isOurServer(ProcessHandle p) {
        List<String> args = p.info().arguments().map(List::of).orElse(List.of());
        return args.contains("start-dev") && args.contains(dbFile.toString());
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (IOException e) {
            throw new IllegalStateException("the bind host '" + host + "' does not resolve", e);
        }
    }

    private static void requireFreePort(String host, int port, String what) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName(host))) {
            socket.setReuseAddress(true);
        } catch (IOException e) {
            throw new IllegalStateException(what + " " + port + " on " + host + " is taken by another process: "
                    + "stop it or choose another port");
        }
    }

    /** A server that died under a running lmforge is started again on the same file, after a pause that grows. */
    private void restartAfterDeath(Process dead) {
        if (closing || dead != process) {
            return;
        }
        LOG.log(Level.ERROR, "the Temporal server (pid {0}) on {1} exited with {2}; starting it again on {3}; "
                + "workflows and workers wait and reconnect", dead.pid(), address(), dead.exitValue(), dbFile);
        Thread restart = new Thread(() -> {
            long pauseMs = 500;
            while (!closing) {
                try {
                    Thread.sleep(pauseMs);
                    synchronized (this) {
                        if (!closing) {
                            launch();
                        }
                    }
                    LOG.log(Level.INFO, "the Temporal server is back on {0} (pid {1})", address(), process.pid());
                    return;
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    LOG.log(Level.ERROR, "the Temporal server could not be started again: {0}; trying again", e.getMessage());
                    pauseMs = Math.min(pauseMs * 2, 30_000);
                }
            }
        }, "lmforge-temporal-restart");
        restart.setDaemon(true);
        restart.start();
    }

    private long logLength() {
        try {
            return Files.exists(logFile) ? Files.size(logFile) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** The last non-blank line the server wrote since {@code from}, capped, for an error message. */
    private String lastLine(long from) {
        try {
            byte[] all = Files.readAllBytes(logFile);
            String text = new String(all, (int) Math.min(from, all.length), (int) Math.max(0, all.length - from),
                    StandardCharsets.UTF_8).strip();
            String last = text.isEmpty() ? "no output" : text.substring(text.lastIndexOf('\n') + 1).strip();
            return last.length() > 300 ? last.substring(0, 300) + "…" : last;
        } catch (IOException e) {
            return "its log " + logFile + " is unreadable";
        }
    }

    /** Stops the server (SIGTERM, then SIGKILL after 20 s); its state stays in the file. */
    @Override
    public synchronized void close() {
        closing = true;
        if (relay != null) {
            try {
                relay.close();
            } catch (IOException e) {
                LOG.log(Level.WARNING, "closing the relay to Temporal on {0}: {1}", address(), e.getMessage());
            }
        }
        Process p = process;
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(pidFile);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
