package dev.lmforge.infra;

import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.temporal.internal.testservice.GRPCServerHelper;
import io.temporal.internal.testservice.TestServicesStarter;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Temporal's in-memory Java test server, the fallback when no Temporal CLI is found, listening on the stack's one
 * bind address only (127.0.0.1 unless told otherwise). {@code TestServer.createPortBoundServer} starts the same
 * services but binds every interface, which would offer an unauthenticated Temporal to the whole network; so this
 * assembles them the way it does, on one address.
 */
final class FallbackTestServer implements AutoCloseable {

    private final TestServicesStarter services;
    private final Server server;

    private FallbackTestServer(TestServicesStarter services, Server server) {
        this.services = services;
        this.server = server;
    }

    /** Starts the server on {@code address:port}, keeping real time (time skipping locked), as a real Temporal does. */
    static FallbackTestServer start(InetAddress address, int port) throws IOException {
        TestServicesStarter services = new TestServicesStarter(true, 0);
        try {
            ServerBuilder<?> builder = NettyServerBuilder.forAddress(
                    new InetSocketAddress(address, port), InsecureServerCredentials.create());
            GRPCServerHelper.registerServicesAndHealthChecks(services.getServices(), builder);
            return new FallbackTestServer(services, builder.build().start());
        } catch (IOException | RuntimeException e) {
            services.close();
            throw e;
        }
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdown();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } finally {
            services.close();
            server.shutdownNow();
        }
    }
}
