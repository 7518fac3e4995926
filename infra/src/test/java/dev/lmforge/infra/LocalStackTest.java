package dev.lmforge.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.temporal.api.workflowservice.v1.GetSystemInfoRequest;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the local stack exposes: nothing beyond 127.0.0.1 unless given a bind host, then that address (with
 * PostgreSQL letting its network in by password only), and no folder others may write to.
 */
class LocalStackTest {

    @Test
    void thePostgresBinariesAreWritableByTheirOwnerOnly(@TempDir Path dir) throws Exception {
        int port = LocalStack.freePort();
        try (LocalStack stack = LocalStack.start(new LocalStack.Options(dir, port, 0, "k", "s", 0))) {
            Path binaries = dir.resolve("postgres-bin");
            List<Path> writable;
            try (Stream<Path> tree = Files.walk(binaries)) {
                writable = tree.filter(p -> !Files.isSymbolicLink(p)).filter(p -> {
                    try {
                        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
                        return mode.contains(PosixFilePermission.OTHERS_WRITE) || mode.contains(PosixFilePermission.GROUP_WRITE);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }).toList();
            }
            assertTrue(Files.isDirectory(binaries));
            assertEquals(List.of(), writable);
        }
    }

    @Test
    void theFallbackTemporalListensOnLoopbackOnly(@TempDir Path dir) throws Exception {
        int port = LocalStack.freePort();
        try (LocalStack stack = LocalStack.start(new LocalStack.Options(dir, 0, 0, "k", "s", port, 0,
                LocalStack.NO_TEMPORAL_CLI, "default"))) {
            assertEquals("fallback", stack.temporal().mode());
            WorkflowServiceStubs stubs = WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder()
                    .setTarget(stack.temporal().address()).build());
            try {
                stubs.blockingStub().getSystemInfo(GetSystemInfoRequest.getDefaultInstance());
            } finally {
                stubs.shutdownNow();
            }
            Optional<InetAddress> outward = outwardAddress();
            assumeTrue(outward.isPresent(), "this machine has no address but loopback to try");
            try (Socket socket = new Socket()) {
                assertThrows(ConnectException.class, () -> socket.connect(new InetSocketAddress(outward.get(), port), 2000),
                        "the fallback Temporal answers on " + outward.get());
            }
        }
    }

    @Test
    void aStackBoundToAnOutwardAddressListensThereAndLetsItsNetworkIntoPostgresByPassword(@TempDir Path dir) throws Exception {
        Optional<InetAddress> outward = outwardAddress();
        assumeTrue(outward.isPresent(), "this machine has no address but loopback to bind");
        String host = outward.get().getHostAddress();
        int pg = LocalStack.freePort();
        int s3 = LocalStack.freePort();
        int temporal = LocalStack.freePort();
        LocalStack.Options options = new LocalStack.Options(dir, pg, s3, "k", "s", temporal, 0,
                LocalStack.NO_TEMPORAL_CLI, "default").boundTo(host);
        String network = LocalStack.network(LocalStack.localAddress(host));
        try (LocalStack stack = LocalStack.start(options)) {
            assertEquals(host + ":" + temporal, stack.temporal().address());
            for (int port : new int[] {pg, s3, temporal}) {
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress(outward.get(), port), 2000);
                }
            }
            List<String> hba = Files.readAllLines(dir.resolve("postgres/pg_hba.conf"));
            assertEquals(List.of(LocalStack.HBA_MARK, "host all all " + host + "/32 trust",
                    "host all all " + network + " scram-sha-256"), hba.subList(hba.size() - 3, hba.size()));
        }
        // Back on loopback, the rules go, once.
        try (LocalStack stack = LocalStack.start(new LocalStack.Options(dir, pg, 0, "k", "s", 0))) {
            List<String> hba = Files.readAllLines(dir.resolve("postgres/pg_hba.conf"));
            assertTrue(hba.stream().noneMatch(l -> l.equals(LocalStack.HBA_MARK) || l.contains(network)), hba.toString());
        }
    }

    @Test
    void aBindHostThatIsNoAddressOfThisMachineIsRefusedByName(@TempDir Path dir) {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> LocalStack.start(
                new LocalStack.Options(dir, 0, 0, "k", "s", 0).boundTo("198.51.100.77")));
        assertTrue(e.getMessage().contains("198.51.100.77") && e.getMessage().contains("LMFORGE_BIND_HOST"), e.getMessage());
    }

    @Test
    void aNetworkIsTheAddressWithItsHostBitsCleared() throws Exception {
        InterfaceAddress loopback = LocalStack.localAddress("127.0.0.1");
        assertEquals("127.0.0.0/8", LocalStack.network(loopback));
    }

    /** An IPv4 address of this machine other than loopback, where a server bound to every interface answers. */
    static Optional<InetAddress> outwardAddress() throws Exception {
        return NetworkInterface.networkInterfaces().filter(n -> {
            try {
                return n.isUp() && !n.isLoopback();
            } catch (java.net.SocketException e) {
                return false;
            }
        }).flatMap(NetworkInterface::inetAddresses).filter(a -> a instanceof Inet4Address).findFirst();
    }
}
