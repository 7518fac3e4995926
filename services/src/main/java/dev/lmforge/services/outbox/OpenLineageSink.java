package dev.lmforge.services.outbox;

import dev.lmforge.services.ledger.Outbox;
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
 * (with the API key as a bearer token, {@code Authorization: Bearer}, when one applies: the run's team's, or the
 * process-wide one for the process-wide endpoint, looked up at each delivery so a changed key applies to pending
 * events), the file transport for {@code file:} and the console transport for {@code console}. One transport per
 * endpoint and key, kept for the process's life. The key is never logged nor put in an error.
 */
public final class OpenLineageSink implements Sink, AutoCloseable {

    /** Where an HTTP endpoint without a path receives events, as in Marquez. */
    static final String DEFAULT_PATH = "/api/v1/lineage";
    private static final int TIMEOUT_MILLIS = 10_000;

    private final IntegrationSettings settings;
    private final Outbox outbox;
    private final Map<Endpoint, Transport> transports = new ConcurrentHashMap<>();

    /** An endpoint and the key sent to it. */
    private record Endpoint(String url, String apiKey) {
        @Override
        public String toString() {
            return url;
        }
    }

    public OpenLineageSink(IntegrationSettings settings, Outbox outbox) {
        this.settings = settings;
        this.outbox = outbox;
    }

    @Override
    public void deliver(OutboxEvent event) throws DeliveryException {
        String apiKey = settings.openLineageKeyFor(outbox.teamOfRun(event.runId()).orElse(null), event.endpoint());
        Transport transport = transports.computeIfAbsent(new Endpoint(event.endpoint(), apiKey), this::transportFor);
        try {
            transport.emit(OpenLineageClientUtils.runEventFromJson(event.payload()));
        } catch (HttpTransportResponseException e) {
            throw new DeliveryException("HTTP " + e.getStatusCode() + " from " + event.endpoint(),
                    Sink.refused(e.getStatusCode()), e);
        } catch (OpenLineageClientException | java.io.UncheckedIOException e) {
            throw new DeliveryException(describe(e) + " (" + event.endpoint() + ")", false, e);
        }
    }

    private Transport transportFor(Endpoint target) {
        String endpoint = target.url();
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
        if (target.apiKey() != null) {
            ApiKeyTokenProvider auth = new ApiKeyTokenProvider();
            auth.setApiKey(target.apiKey());
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
