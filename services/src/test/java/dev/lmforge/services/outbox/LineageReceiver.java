package dev.lmforge.services.outbox;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A local HTTP endpoint that receives OpenLineage events as a catalog would (POST {@code /api/v1/lineage}) and
 * keeps their bodies in arrival order; {@code answer} is the status it replies with. Shared with web-ui's tests.
 */
public final class LineageReceiver implements AutoCloseable {

    private final int port;
    private final int answer;
    private final List<String> bodies = new ArrayList<>();
    private HttpServer server;

    public LineageReceiver(int port, int answer) {
        this.port = port;
        this.answer = answer;
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public LineageReceiver start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/api/v1/lineage", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            if (answer / 100 == 2) {
                synchronized (bodies) {
                    bodies.add(new String(body, StandardCharsets.UTF_8));
                }
            }
            exchange.sendResponseHeaders(answer, -1);
            exchange.close();
        });
        server.start();
        return this;
    }

    public List<String> bodies() {
        synchronized (bodies) {
            return List.copyOf(bodies);
        }
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
        }
    }
}
