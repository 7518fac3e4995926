package dev.lmforge.web;

import dev.lmforge.infra.LocalStack;
import dev.lmforge.services.sources.SourceRoots;
import dev.lmforge.web.temporal.TemporalMode;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Starts the real local stack (PostgreSQL, S3Proxy, the real Temporal server) on free ports for a Quarkus test, and
 * tells the control plane which Temporal it is, as {@code lmforge up} does. Specs may read the repository's
 * {@code samples/}, the data folder's {@code sources/} and the {@code crawl} bucket.
 */
public class LocalStackTestResource implements QuarkusTestResourceLifecycleManager {

    private LocalStack stack;

    @Override
    public Map<String, String> start() {
        try {
            Path dir = Files.createTempDirectory(Path.of("target"), "stack-");
            LocalStack.Options options = LocalStack.Options.onFreePorts(dir.toAbsolutePath(), "test", "test-secret");
            stack = LocalStack.start(options);
            return Map.of(
                    TemporalMode.MODE_KEY, stack.temporal().mode(),
                    TemporalMode.DESCRIPTION_KEY, stack.temporal().describe(),
                    "lmforge.data-dir", dir.toAbsolutePath().toString(),
                    "lmforge.jdbc.url", "jdbc:postgresql://127.0.0.1:" + options.postgresPort() + "/postgres",
                    "lmforge.s3.endpoint", "http://127.0.0.1:" + options.s3Port(),
                    "lmforge.s3.access-key", "test",
                    "lmforge.s3.secret-key", "test-secret",
                    "lmforge.temporal.target", "127.0.0.1:" + options.temporalPort(),
                    // OpenAiApiTest's silent worker is given up after this long, not the default 120 s.
                    "lmforge.serving.idle-timeout", "15s",
                    SourceRoots.KEY, String.join(",", Path.of("../samples").toAbsolutePath().normalize().toString(),
                            // the templates' own spelling, relative to the repository, as `lmforge up` runs
                            Path.of("samples").toAbsolutePath().toString(),
                            dir.resolve("sources").toAbsolutePath().toString(), "s3://crawl/"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (stack != null) {
            stack.close();
        }
    }
}
