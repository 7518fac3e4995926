package dev.lmforge.web.observability;

import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.config.LmforgeSettings;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * {@code /q/health/ready}: whether the object store answers and holds the artifact bucket. The store client waits
 * minutes on a silent peer, so the check gives it {@link #TIMEOUT_SECONDS} and reports a store that takes longer
 * as down. (PostgreSQL's readiness is Quarkus' own datasource check; Temporal's is {@code TemporalHealthCheck}.)
 */
@Readiness
@ApplicationScoped
public class ObjectStoreHealthCheck implements HealthCheck {

    static final int TIMEOUT_SECONDS = 3;

    @Inject
    ArtifactStore artifacts;
    @Inject
    LmforgeSettings settings;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder check = HealthCheckResponse.named("object-store")
                .withData("endpoint", settings.s3Endpoint()).withData("bucket", artifacts.bucket());
        try {
            boolean exists = CompletableFuture.supplyAsync(artifacts::bucketExists).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return exists ? check.up().build() : check.down().withData("error", "the bucket does not exist").build();
        } catch (TimeoutException e) {
            return check.down().withData("error", "no answer within " + TIMEOUT_SECONDS + " s").build();
        } catch (ExecutionException e) {
            return check.down().withData("error", String.valueOf(e.getCause().getMessage())).build();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return check.down().withData("error", "interrupted").build();
        }
    }
}
