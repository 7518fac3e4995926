package dev.lmforge.services.outbox;

import dev.lmforge.services.ledger.Outbox.OutboxEvent;
import io.openlineage.client.OpenLineageClientException;
import io.openlineage.client.OpenLineageClientUtils;
import io.openlineage.client.transports.ApiKeyTokenProvider;
import io.openlineage.client.transports.ConsoleTransport;
import io.openlineage.client.transports.FileConfig;
import io.openlineage.client.transports.FileTransport;
import io.openlineage.client.transports.HttpConfig;
import io.openlineage.client.transports.HttpTransport;
import io.openlineage.client.transports.HttpTransportResponseException;
import io.openlineage.client.transports.Transport;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Delivers OpenLineage run events through the official client's transports: HTTP for an {@code http(s)} endpoint
 * (with the API key as a bearer token when one is set), the file transport for {@code file:} and the console
 * transport for {@code console}. One transport per endpoint, kept for the process's life.
 */
public final class OpenLineageSink implements Sink, AutoCloseable {

    /** Where an HTTP endpoint without a path receives events, as in Marquez. */
    static final String DEFAULT_PATH = "/api/v1/lineage";
    private static final int TIMEOUT_MILLIS = 10_000;

    private final String apiKey;
    private final Map<String, Transport> transports = new ConcurrentHashMap<>();

    public OpenLineageSink(String apiKey) {
        this.apiKey = apiKey;
    }

    @Override
    public void deliver(OutboxEvent event) throws DeliveryException {
        Transport transport = transports.computeIfAbsent(event.endpoint(), this::transportFor);
        try {
            transport.emit(OpenLineageClientUtils.runEventFromJson(event.payload()));
        } catch (HttpTransportResponseException e) {
            throw new DeliveryException("HTTP " + e.getStatusCode() + " from " + event.endpoint(),
                    Sink.refused(e.getStatusCode()), e);
        } catch (OpenLineageClientException | java.io.UncheckedIOException e) {
            throw new DeliveryException(describe(e) + " (" + event.endpoint() + ")", false, e);
        }
    }

    private Transport transportFor(String endpoint) {
        if (endpoint.equals("console")) {
            return new ConsoleTransport();
        }
        if (endpoint.startsWith("file:")) {
            return new FileTransport(new FileConfig(URI.create(endpoint).getPath()));
        }
        URI uri = URI.create(endpoint);
        HttpConfig config = new HttpConfig();
        config.setUrl(URI.create(uri.getScheme() + "://" + uri.getRawAuthority()));
        String path = uri.getRawPath();
        config.setEndpoint(path == null || path.isEmpty() || path.equals("/") ? DEFAULT_PATH : path);
        config.setTimeoutInMillis(TIMEOUT_MILLIS);
        if (apiKey != null) {
            ApiKeyTokenProvider auth = new ApiKeyTokenProvider();
            auth.setApiKey(apiKey);
            config.setAuth(auth);
        }
        return new HttpTransport(config);
    }

    /** The innermost cause's message: "Connection refused", not the client's wrapper text. */
    static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    @Override
    public void close() {
        transports.values().forEach(t -> {
            try {
                t.close();
            } catch (Exception e) {
                // Closing at shutdown: nothing is left to deliver through it.
            }
        });
    }
}
