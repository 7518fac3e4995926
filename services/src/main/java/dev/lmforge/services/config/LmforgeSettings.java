package dev.lmforge.services.config;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Where lmforge's services are and how they are named. Every value comes from a dotted key
 * ({@code lmforge.jdbc.url}) or its environment variable ({@code LMFORGE_JDBC_URL}); the defaults describe the
 * local stack on 127.0.0.1. Setting {@code LMFORGE_TEMPORAL_TARGET}, {@code LMFORGE_JDBC_URL} or
 * {@code LMFORGE_S3_ENDPOINT} switches that service to cluster mode: lmforge uses it and starts none of its own.
 * {@code jdbcUser} owns the schema (migrations run as it); lmforge's processes work as {@code jdbcAppUser}, a role
 * without ownership that therefore cannot alter or disable the audit log's triggers. {@code bindHost}
 * ({@code LMFORGE_BIND_HOST}, default 127.0.0.1) is the one address the local stack and the console listen on; the
 * local services' default addresses use it, so that what this process connects to is also what a worker on another
 * host can reach ({@link #workerEnvironment()}).
 */
public record LmforgeSettings(
        String temporalTarget, String temporalNamespace, boolean temporalExternal,
        String jdbcUrl, String jdbcUser, String jdbcPassword, String jdbcAppUser, String jdbcAppPassword,
        boolean jdbcExternal,
        String s3Endpoint, String s3AccessKey, String s3SecretKey, String s3Bucket, String s3Region, boolean s3External,
        Path dataDir, String controlQueue, String cpuQueue, String gpuQueue,
        int temporalPort, int postgresPort, int s3Port, String bindHost) {

    /** The bind host unless {@code LMFORGE_BIND_HOST} names another: this machine only. */
    public static final String DEFAULT_BIND_HOST = "127.0.0.1";

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
        String bindHost = bindHostOf(get.apply("lmforge.bind-host"));
        return new LmforgeSettings(
                temporalTarget != null ? temporalTarget : bindHost + ":" + temporalPort,
                or(get.apply("lmforge.temporal.namespace"), "default"),
                temporalTarget != null,
                jdbcUrl != null ? jdbcUrl : "jdbc:postgresql://" + bindHost + ":" + postgresPort + "/postgres",
                or(get.apply("lmforge.jdbc.user"), "postgres"),
                or(get.apply("lmforge.jdbc.password"), "postgres"),
                // The same defaults as quarkus.datasource.username/password in web-ui's application.properties.
                or(get.apply("lmforge.jdbc.app-user"), DEFAULT_APP_USER),
                or(get.apply("lmforge.jdbc.app-password"), DEFAULT_APP_PASSWORD),
                jdbcUrl != null,
                s3Endpoint != null ? s3Endpoint : "http://" + bindHost + ":" + s3Port,
                or(get.apply("lmforge.s3.access-key"), "lmforge"),
                or(get.apply("lmforge.s3.secret-key"), "lmforge-local-secret"),
                or(get.apply("lmforge.s3.bucket"), "lmforge"),
                or(get.apply("lmforge.s3.region"), "us-east-1"),
                s3Endpoint != null,
                Path.of(or(get.apply("lmforge.data-dir"), "data")).toAbsolutePath(),
                or(get.apply("lmforge.queue.control"), "lmforge-control"),
                or(get.apply("lmforge.queue.cpu"), "cpu"),
                or(get.apply("lmforge.queue.gpu"), "gpu"),
                temporalPort, postgresPort, s3Port, bindHost);
    }

    /**
     * A bind host must be one address, the one workers elsewhere are told to reach: a wildcard (all addresses) is
     * refused, since no one address of it could be advertised. IPv6 literals are refused too, as the URLs built
     * from the host (here and in the console's configuration) do not bracket them.
     */
    private static String bindHostOf(String value) {
        if (value == null) {
            return DEFAULT_BIND_HOST;
        }
        if (value.equals("0.0.0.0") || !value.matches("[A-Za-z0-9.-]{1,253}")) {
            throw new IllegalArgumentException("lmforge.bind-host (LMFORGE_BIND_HOST) must be one IPv4 address or host "
                    + "name of this machine that the other hosts reach, not '" + value + "'");
        }
        return value;
    }

    /**
     * What a compute worker on another host needs to join this lmforge, as environment variables: the addresses
     * this process uses (reachable from elsewhere when the bind host is), the namespace, bucket, region and queues.
     * The credentials are left out: a worker needs {@code LMFORGE_JDBC_APP_PASSWORD} and the S3 keys only where
     * they differ from their defaults, and then gets them from whoever set them, not from a file.
     */
    public Map<String, String> workerEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("LMFORGE_TEMPORAL_TARGET", temporalTarget);
        env.put("LMFORGE_TEMPORAL_NAMESPACE", temporalNamespace);
        env.put("LMFORGE_JDBC_URL", jdbcUrl);
        env.put("LMFORGE_JDBC_APP_USER", jdbcAppUser);
        env.put("LMFORGE_S3_ENDPOINT", s3Endpoint);
        env.put("LMFORGE_S3_BUCKET", s3Bucket);
        env.put("LMFORGE_S3_REGION", s3Region);
        env.put("LMFORGE_QUEUE_CPU", cpuQueue);
        env.put("LMFORGE_QUEUE_GPU", gpuQueue);
        return env;
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
