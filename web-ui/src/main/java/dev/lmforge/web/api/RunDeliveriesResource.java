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
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * How a run's events for OpenLineage and MLflow are getting on: per sink and endpoint, how many were delivered,
 * are pending (retried with backoff) or failed for good, and the newest error. Whoever may see the run may see this.
 */
@Path("/api/runs/{id}/deliveries")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "integrations", description = "OpenLineage and MLflow: per-team endpoints and what was delivered")
public class RunDeliveriesResource {

    @Inject
    RunStore runs;
    @Inject
    Outbox outbox;
    @Inject
    Caller caller;

    @GET
    @Operation(summary = "Read a run's deliveries", description = "How the run's OpenLineage and MLflow events "
            + "fared, per sink and endpoint: delivered, pending or failed, with the newest error and its time.")
    @APIResponse(responseCode = "200", description = "One status per sink and endpoint; empty when no sink is on.")
    @APIResponse(responseCode = "404", description = "No such run, or not one of the caller's teams.")
    public List<DeliveryStatus> get(@Parameter(description = "The run's id.") @PathParam("id") String id) {
        var user = caller.user();
        runs.run(id).filter(r -> Permissions.canSee(user, r.team()))
                .orElseThrow(() -> ProblemException.notFound("no run '" + id + "'"));
        return outbox.status(id);
    }
}
