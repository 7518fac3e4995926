package dev.lmforge.services.outbox;

import dev.lmforge.services.config.LmforgeSettings;
import dev.lmforge.services.ledger.Outbox.TeamIntegration;
import java.net.URI;
import java.time.Duration;
import java.util.function.Function;

/**
 * Where the outbox's events go, process-wide, from dotted keys or their environment variables. Both sinks are off
 * unless named: {@code LMFORGE_OPENLINEAGE_URL} (an {@code http(s)} URL, or {@code console}, or
 * {@code file:/path/events.jsonl} for local use) with optional {@code LMFORGE_OPENLINEAGE_API_KEY},
 * {@code LMFORGE_OPENLINEAGE_NAMESPACE} (default {@code lmforge}) and {@code LMFORGE_OPENLINEAGE_PROGRESS_SECONDS}
 * (default 60, 0 turns the progress events off); {@code LMFORGE_MLFLOW_TRACKING_URI} with
 * {@code LMFORGE_MLFLOW_EXPERIMENT_BY} ({@code team}, the default, or {@code spec}), optional
 * {@code LMFORGE_MLFLOW_TOKEN} (sent as {@code Authorization: Bearer}) and {@code LMFORGE_MLFLOW_LOG_HF_MODEL}
 * ({@code true} uploads the final model's Hugging Face files; default off). A team's row on the Admin page
 * overrides the endpoints and secrets for its runs ({@link #forTeam}).
 *
 * <p>The secrets (API key, token) are write-only everywhere lmforge shows settings, and never logged; a team's are
 * stored <b>in plain text</b> in PostgreSQL (table {@code team_integrations}), so whoever can read the ledger's
 * database can read them. A process-wide secret goes only to the process-wide endpoint ({@link #openLineageKeyFor},
 * {@link #mlflowTokenFor}), never to an endpoint a team named.
 *
 * @param consoleUrl    the console's public address, for the links MLflow shows ({@code LMFORGE_CONSOLE_URL})
 * @param s3Bucket      the artifact store's bucket, for the storage URI of each dataset
 * @param pollInterval  how often the deliverer looks for due events
 * @param firstBackoff  the wait after a failed attempt, doubled after each further one up to {@code maxBackoff}
 * @param maxAttempts   after this many failed attempts an event is marked failed for good
 * @param progressInterval the wait before a stage's first OpenLineage progress event; {@link Duration#ZERO} for none
 * @param mlflowToken   the bearer token for the MLflow tracking server, or null
 * @param mlflowLogHfModel whether a succeeded run's final model is uploaded to MLflow in the Hugging Face layout
 */
public record IntegrationSettings(String openLineageUrl, String openLineageApiKey, String openLineageNamespace,
                                  String mlflowTrackingUri, String mlflowExperimentBy, String consoleUrl,
                                  String s3Bucket, Duration pollInterval, Duration firstBackoff, Duration maxBackoff,
                                  int maxAttempts, Duration progressInterval, String mlflowToken,
                                  boolean mlflowLogHfModel) {

    /** Longest endpoint address accepted, from configuration or the Admin page. */
    public static final int MAX_URL_CHARS = 2000;
    /** Longest API key or token accepted, from configuration or the Admin page. */
    public static final int MAX_SECRET_CHARS = 4000;
    /** What the API and the Admin page show for a secret that is set. */
    public static final String SECRET_MASK = "********";

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
        if (progressInterval.isNegative()) {
            throw new IllegalArgumentException("lmforge.openlineage.progress-seconds must not be negative");
        }
        requireSecret("lmforge.openlineage.api-key", openLineageApiKey);
        requireSecret("lmforge.mlflow.token", mlflowToken);
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
                (int) millis(get, "lmforge.outbox.max-attempts", 1000),
                seconds(get, "lmforge.openlineage.progress-seconds", 60), get.apply("lmforge.mlflow.token"),
                bool(get, "lmforge.mlflow.log-hf-model"));
    }

    /** These settings with a team's overrides; a team that turned the integrations off gets neither sink. */
    public IntegrationSettings forTeam(TeamIntegration team) {
        if (team == null) {
            return this;
        }
        if (team.disabled()) {
            return new IntegrationSettings(null, null, openLineageNamespace, null, mlflowExperimentBy, consoleUrl,
                    s3Bucket, pollInterval, firstBackoff, maxBackoff, maxAttempts, progressInterval, null,
                    mlflowLogHfModel);
        }
        String olUrl = or(team.openLineageUrl(), openLineageUrl);
        String mlflowUri = or(team.mlflowTrackingUri(), mlflowTrackingUri);
        return new IntegrationSettings(olUrl, openLineageKeyFor(team, olUrl),
                or(team.openLineageNamespace(), openLineageNamespace), mlflowUri,
                or(team.mlflowExperimentBy(), mlflowExperimentBy), consoleUrl, s3Bucket, pollInterval, firstBackoff,
                maxBackoff, maxAttempts, progressInterval, mlflowTokenFor(team, mlflowUri), mlflowLogHfModel);
    }

    /**
     * The API key to send to OpenLineage endpoint {@code endpoint} for a run of {@code team} (null: no team row):
     * the team's own if it set one, else the process-wide one if {@code endpoint} is the process-wide endpoint.
     */
    public String openLineageKeyFor(TeamIntegration team, String endpoint) {
        if (team != null && team.openLineageApiKey() != null) {
            return team.openLineageApiKey();
        }
        return endpoint != null && endpoint.equals(openLineageUrl) ? openLineageApiKey : null;
    }

    /** The bearer token for MLflow at {@code endpoint} for a run of {@code team}, as {@link #openLineageKeyFor}. */
    public String mlflowTokenFor(TeamIntegration team, String endpoint) {
        if (team != null && team.mlflowToken() != null) {
            return team.mlflowToken();
        }
        return endpoint != null && endpoint.equals(mlflowTrackingUri) ? mlflowToken : null;
    }

    /**
     * Refuses a secret that is too long or holds characters an HTTP header cannot carry; the message names
     * {@code field} and never the value.
     */
    public static void requireSecret(String field, String secret) {
        if (secret == null) {
            return;
        }
        if (secret.length() > MAX_SECRET_CHARS) {
            throw new IllegalArgumentException(field + " is longer than " + MAX_SECRET_CHARS + " characters");
        }
        if (!secret.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException(field + " must be printable ASCII without spaces");
        }
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

    private static Duration seconds(Function<String, String> get, String key, long fallback) {
        String v = get.apply(key);
        if (v == null) {
            return Duration.ofSeconds(fallback);
        }
        try {
            double n = Double.parseDouble(v);
            if (n >= 0 && n <= 86_400) {
                return Duration.ofNanos(Math.round(n * 1e9));
            }
        } catch (NumberFormatException e) {
            // Reported below with the key's name.
        }
        throw new IllegalArgumentException(key + " (" + LmforgeSettings.envName(key) + ") must be a number of seconds "
                + "from 0 to 86400, not '" + v + "'");
    }

    private static boolean bool(Function<String, String> get, String key) {
        String v = get.apply(key);
        if (v == null || v.equalsIgnoreCase("false")) {
            return false;
        }
        if (v.equalsIgnoreCase("true")) {
            return true;
        }
        throw new IllegalArgumentException(key + " (" + LmforgeSettings.envName(key) + ") must be true or false, not '" + v + "'");
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
