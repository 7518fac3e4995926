package dev.lmforge.services.outbox;

import dev.lmforge.services.config.LmforgeSettings;
import dev.lmforge.services.ledger.Outbox.TeamIntegration;
import java.net.URI;
import java.time.Duration;
import java.util.function.Function;

/**
 * Where the outbox's events go, process-wide, from dotted keys or their environment variables. Both sinks are off
 * unless named: {@code LMFORGE_OPENLINEAGE_URL} (an {@code http(s)} URL, or {@code console}, or
 * {@code file:/path/events.jsonl} for local use) with optional {@code LMFORGE_OPENLINEAGE_API_KEY} and
 * {@code LMFORGE_OPENLINEAGE_NAMESPACE} (default {@code lmforge}); {@code LMFORGE_MLFLOW_TRACKING_URI} with
 * {@code LMFORGE_MLFLOW_EXPERIMENT_BY} ({@code team}, the default, or {@code spec}). A team's row on the Admin
 * page overrides the endpoints for its runs ({@link #forTeam}).
 *
 * @param consoleUrl    the console's public address, for the links MLflow shows ({@code LMFORGE_CONSOLE_URL})
 * @param s3Bucket      the artifact store's bucket, for the storage URI of each dataset
 * @param pollInterval  how often the deliverer looks for due events
 * @param firstBackoff  the wait after a failed attempt, doubled after each further one up to {@code maxBackoff}
 * @param maxAttempts   after this many failed attempts an event is marked failed for good
 */
public record IntegrationSettings(String openLineageUrl, String openLineageApiKey, String openLineageNamespace,
                                  String mlflowTrackingUri, String mlflowExperimentBy, String consoleUrl,
                                  String s3Bucket, Duration pollInterval, Duration firstBackoff, Duration maxBackoff,
                                  int maxAttempts) {

    /** Longest endpoint address accepted, from configuration or the Admin page. */
    public static final int MAX_URL_CHARS = 2000;

    public IntegrationSettings {
        if (openLineageUrl != null) {
            requireEndpoint("lmforge.openlineage.url", openLineageUrl, true);
        }
        if (mlflowTrackingUri != null) {
            requireEndpoint("lmforge.mlflow.tracking-uri", mlflowTrackingUri, false);
        }
        if (!"team".equals(mlflowExperimentBy) && !"spec".equals(mlflowExperimentBy)) {
            throw new IllegalArgumentException("lmforge.mlflow.experiment-by (LMFORGE_MLFLOW_EXPERIMENT_BY) must be "
                    + "'team' or 'spec', not '" + mlflowExperimentBy + "'");
        }
    }

    public static IntegrationSettings from(Function<String, String> lookup, LmforgeSettings settings) {
        Function<String, String> get = key -> {
            String v = lookup.apply(key);
            return v == null || v.isBlank() ? null : v.strip();
        };
        return new IntegrationSettings(get.apply("lmforge.openlineage.url"), get.apply("lmforge.openlineage.api-key"),
                or(get.apply("lmforge.openlineage.namespace"), "lmforge"), get.apply("lmforge.mlflow.tracking-uri"),
                or(get.apply("lmforge.mlflow.experiment-by"), "team"),
                stripSlash(or(get.apply("lmforge.console.url"), "http://localhost:8080")), settings.s3Bucket(),
                Duration.ofMillis(millis(get, "lmforge.outbox.poll-millis", 1000)),
                Duration.ofMillis(millis(get, "lmforge.outbox.first-backoff-millis", 1000)),
                Duration.ofMillis(millis(get, "lmforge.outbox.max-backoff-millis", 300_000)),
                (int) millis(get, "lmforge.outbox.max-attempts", 1000));
    }

    /** These settings with a team's overrides; a team that turned the integrations off gets neither sink. */
    public IntegrationSettings forTeam(TeamIntegration team) {
        if (team == null) {
            return this;
        }
        if (team.disabled()) {
            return new IntegrationSettings(null, null, openLineageNamespace, null, mlflowExperimentBy, consoleUrl,
                    s3Bucket, pollInterval, firstBackoff, maxBackoff, maxAttempts);
        }
        return new IntegrationSettings(or(team.openLineageUrl(), openLineageUrl), openLineageApiKey,
                or(team.openLineageNamespace(), openLineageNamespace), or(team.mlflowTrackingUri(), mlflowTrackingUri),
                or(team.mlflowExperimentBy(), mlflowExperimentBy), consoleUrl, s3Bucket, pollInterval, firstBackoff,
                maxBackoff, maxAttempts);
    }

    /**
     * Refuses an endpoint that is not an absolute http(s) URL without credentials in it (for OpenLineage also
     * {@code console} or a {@code file:} URL); the message names {@code field} and never echoes a secret.
     */
    public static void requireEndpoint(String field, String url, boolean openLineage) {
        if (url.length() > MAX_URL_CHARS) {
            throw new IllegalArgumentException(field + " is longer than " + MAX_URL_CHARS + " characters");
        }
        if (openLineage && (url.equals("console") || url.startsWith("file:/"))) {
            return;
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException(field + " is not a URL");
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new IllegalArgumentException(field + " must be an http or https URL"
                    + (openLineage ? ", 'console' or a file: URL" : ""));
        }
        if (uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException(field + " must not carry credentials in the URL");
        }
    }

    private static String or(String value, String fallback) {
        return value != null ? value : fallback;
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    private static long millis(Function<String, String> get, String key, long fallback) {
        String v = get.apply(key);
        if (v == null) {
            return fallback;
        }
        try {
            long n = Long.parseLong(v);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // Reported below with the key's name.
        }
        throw new IllegalArgumentException(key + " (" + LmforgeSettings.envName(key) + ") must be a positive whole number, not '" + v + "'");
    }
}
