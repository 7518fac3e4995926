package dev.lmforge.services.outbox;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A local HTTP endpoint that receives OpenLineage events as a catalog would (POST {@code /api/v1/lineage}) and
 * keeps their bodies and {@code Authorization} headers in arrival order; {@code answer} is the status it replies
 * with. Shared with web-ui's tests.
 */
public final class LineageReceiver implements AutoCloseable {

    private final int port;
    private final int answer;
    private final List<Received> received = new ArrayList<>();

    /** One event as it arrived: its body and its {@code Authorization} header (null when absent). */
    public record Received(String body, String authorization) {
    }
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
                synchronized (received) {
                    received.add(new Received(new String(body, StandardCharsets.UTF_8),
                            exchange.getRequestHeaders().getFirst("Authorization")));
                }
            }
            exchange.sendResponseHeaders(answer, -1);
            exchange.close();
        });
        server.start();
        return this;
    }

    public List<String> bodies() {
        return received().stream().map(Received::body).toList();
    }

    public List<Received> received() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
        }
    }
}
