package dev.lmforge.web.temporal;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * {@code /q/health}: whether Temporal answers, and which Temporal it is (the real server and where its state
 * lives, or the fallback test server that loses every workflow on a restart, or a cluster's).
 */
@Readiness
@ApplicationScoped
public class TemporalHealthCheck implements HealthCheck {

    @Inject
    ControlPlane controlPlane;

    @Override
    public HealthCheckResponse call() {
        TemporalMode mode = controlPlane.mode();
        HealthCheckResponseBuilder check = HealthCheckResponse.named("temporal")
                .withData("mode", mode.mode()).withData("address", mode.address())
                .withData("namespace", mode.namespace()).withData("description", mode.description());
        String problem = controlPlane.unreachable();
        return problem == null ? check.up().build() : check.down().withData("error", problem).build();
    }
}
