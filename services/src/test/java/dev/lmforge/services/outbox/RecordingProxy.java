package dev.lmforge.services.outbox;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * An HTTP proxy in front of a real server (the test's MLflow) that forwards each request unchanged (method, path,
 * query, body, {@code Content-Type} and {@code Authorization}) and records what came in, so a test can see the
 * headers lmforge sent, which MLflow itself neither checks nor reports. Shared with web-ui's tests.
 */
public final class RecordingProxy implements AutoCloseable {

    /** One forwarded request: its method, path and {@code Authorization} header (null when absent). */
    public record Request(String method, String path, String authorization) {
    }

    private final String target;
    private final HttpServer server;
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<Request> requests = new ArrayList<>();

    public RecordingProxy(String target) throws IOException {
        this.target = target;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::forward);
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void forward(HttpExchange exchange) throws IOException {
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        synchronized (requests) {
            requests.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().getPath(), authorization));
        }
        byte[] body = exchange.getRequestBody().readAllBytes();
        HttpRequest.Builder out = HttpRequest.newBuilder(URI.create(target + exchange.getRequestURI().toString()))
                .method(exchange.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        String type = exchange.getRequestHeaders().getFirst("Content-Type");
        if (type != null) {
            out.header("Content-Type", type);
        }
        if (authorization != null) {
            out.header("Authorization", authorization);
        }
        try {
            HttpResponse<byte[]> r = http.send(out.build(), HttpResponse.BodyHandlers.ofByteArray());
            r.headers().firstValue("Content-Type").ifPresent(t -> exchange.getResponseHeaders().add("Content-Type", t));
            exchange.sendResponseHeaders(r.statusCode(), r.body().length == 0 ? -1 : r.body().length);
            try (OutputStream o = exchange.getResponseBody()) {
                o.write(r.body());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exchange.sendResponseHeaders(502, -1);
        } finally {
            exchange.close();
        }
    }

    public List<Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
