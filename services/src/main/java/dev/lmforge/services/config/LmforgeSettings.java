package dev.lmforge.services.config;

import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Function;

/**
 * Where lmforge's services are and how they are named. Every value comes from a dotted key
 * ({@code lmforge.jdbc.url}) or its environment variable ({@code LMFORGE_JDBC_URL}); the defaults describe the
 * local stack on 127.0.0.1. Setting {@code LMFORGE_TEMPORAL_TARGET}, {@code LMFORGE_JDBC_URL} or
 * {@code LMFORGE_S3_ENDPOINT} switches that service to cluster mode: lmforge uses it and starts none of its own.
 * {@code jdbcUser} owns the schema (migrations run as it); lmforge's processes work as {@code jdbcAppUser}, a role
 * without ownership that therefore cannot alter or disable the audit log's triggers.
 */
public record LmforgeSettings(
        String temporalTarget, String temporalNamespace, boolean temporalExternal,
        String jdbcUrl, String jdbcUser, String jdbcPassword, String jdbcAppUser, String jdbcAppPassword,
        boolean jdbcExternal,
        String s3Endpoint, String s3AccessKey, String s3SecretKey, String s3Bucket, String s3Region, boolean s3External,
        Path dataDir, String controlQueue, String cpuQueue, String gpuQueue,
        int temporalPort, int postgresPort, int s3Port) {

    /** The application's database role unless {@code LMFORGE_JDBC_APP_USER} names another. */
    public static final String DEFAULT_APP_USER = "lmforge_app";
    /** Its password unless {@code LMFORGE_JDBC_APP_PASSWORD} sets one; fine on the local stack, not for a cluster. */
    public static final String DEFAULT_APP_PASSWORD = "lmforge_app";

    /** Reads the settings through {@code lookup}, which returns null for an unset key. */
    public static LmforgeSettings from(Function<String, String> lookup) {
        Function<String, String> get = key -> {
            String v = lookup.apply(key);
            return v == null || v.isBlank() ? null : v.trim();
        };
        int temporalPort = intOf(get, "lmforge.temporal.port", 7233);
        int postgresPort = intOf(get, "lmforge.postgres.port", 15432);
        int s3Port = intOf(get, "lmforge.s3.port", 9000);
        String temporalTarget = get.apply("lmforge.temporal.target");
        String jdbcUrl = get.apply("lmforge.jdbc.url");
        String s3Endpoint = get.apply("lmforge.s3.endpoint");
        return new LmforgeSettings(
                temporalTarget != null ? temporalTarget : "127.0.0.1:" + temporalPort,
                or(get.apply("lmforge.temporal.namespace"), "default"),
                temporalTarget != null,
                jdbcUrl != null ? jdbcUrl : "jdbc:postgresql://127.0.0.1:" + postgresPort + "/postgres",
                or(get.apply("lmforge.jdbc.user"), "postgres"),
                or(get.apply("lmforge.jdbc.password"), "postgres"),
                // The same defaults as quarkus.datasource.username/password in web-ui's application.properties.
                or(get.apply("lmforge.jdbc.app-user"), DEFAULT_APP_USER),
                or(get.apply("lmforge.jdbc.app-password"), DEFAULT_APP_PASSWORD),
                jdbcUrl != null,
                s3Endpoint != null ? s3Endpoint : "http://127.0.0.1:" + s3Port,
                or(get.apply("lmforge.s3.access-key"), "lmforge"),
                or(get.apply("lmforge.s3.secret-key"), "lmforge-local-secret"),
                or(get.apply("lmforge.s3.bucket"), "lmforge"),
                or(get.apply("lmforge.s3.region"), "us-east-1"),
                s3Endpoint != null,
                Path.of(or(get.apply("lmforge.data-dir"), "data")).toAbsolutePath(),
                or(get.apply("lmforge.queue.control"), "lmforge-control"),
                or(get.apply("lmforge.queue.cpu"), "cpu"),
                or(get.apply("lmforge.queue.gpu"), "gpu"),
                temporalPort, postgresPort, s3Port);
    }

    /** Reads system properties first, then environment variables. */
    public static LmforgeSettings fromSystem() {
        return from(LmforgeSettings::systemLookup);
    }

    /** A key's value from the system properties or, failing that, its environment variable. */
    public static String systemLookup(String key) {
        String v = System.getProperty(key);
        return v != null ? v : System.getenv(envName(key));
    }

    /** {@code lmforge.s3.access-key} → {@code LMFORGE_S3_ACCESS_KEY}, as MicroProfile Config maps them. */
    public static String envName(String key) {
        return key.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }

    private static String or(String value, String fallback) {
        return value != null ? value : fallback;
    }

    private static int intOf(Function<String, String> get, String key, int fallback) {
        String v = get.apply(key);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " (" + envName(key) + ") must be a port number, not '" + v + "'");
        }
    }
}
