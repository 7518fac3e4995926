package dev.lmforge.web.api;

import dev.lmforge.services.ledger.Outbox;
import dev.lmforge.services.ledger.Outbox.DeliveryStatus;
import dev.lmforge.services.ledger.RunStore;
import dev.lmforge.web.auth.Caller;
import dev.lmforge.web.auth.Permissions;
import dev.lmforge.web.problem.ProblemException;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

/**
 * How a run's events for OpenLineage and MLflow are getting on: per sink and endpoint, how many were delivered,
 * are pending (retried with backoff) or failed for good, and the newest error. Whoever may see the run may see this.
 */
@Path("/api/runs/{id}/deliveries")
@Produces(MediaType.APPLICATION_JSON)
public class RunDeliveriesResource {

    @Inject
    RunStore runs;
    @Inject
    Outbox outbox;
    @Inject
    Caller caller;

    @GET
    public List<DeliveryStatus> get(@PathParam("id") String id) {
        var user = caller.user();
        runs.run(id).filter(r -> Permissions.canSee(user, r.team()))
                .orElseThrow(() -> ProblemException.notFound("no run '" + id + "'"));
        return outbox.status(id);
    }
}
