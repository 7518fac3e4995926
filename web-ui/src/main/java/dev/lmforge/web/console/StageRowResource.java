package dev.lmforge.web.console;

import dev.lmforge.services.ledger.Records.StageRecord;
import dev.lmforge.services.ledger.RunStore;
import dev.lmforge.services.ledger.UserStore.User;
import dev.lmforge.web.auth.Caller;
import dev.lmforge.web.auth.Permissions;
import dev.lmforge.web.problem.ProblemException;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** One stage row by its id, for the run page, which follows a cache hit to the row it reused in another run. */
@Path("/api/console")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "runs")
public class StageRowResource {

    @Inject
    RunStore runStore;
    @Inject
    Caller caller;

    /** One stage row, whichever run it belongs to, if the caller may see that run; else 404. */
    @GET
    @Path("stages/{rowId}")
    @Operation(summary = "Read a stage row", description = "One stage execution by its ledger row id, whichever run "
            + "it belongs to: the run page follows a cache hit to the row whose outputs it reused.")
    @APIResponse(responseCode = "200", description = "The stage row.")
    @APIResponse(responseCode = "404", description = "No such row, or its run is not of the caller's teams.")
    public StageRecord stage(@Parameter(description = "The stage row's id (a stage view's rowId or reusedFrom).")
                             @PathParam("rowId") long rowId) {
        User user = caller.user();
        return runStore.stage(rowId)
                .filter(s -> runStore.run(s.runId()).filter(r -> Permissions.canSee(user, r.team())).isPresent())
                .orElseThrow(() -> ProblemException.notFound("no stage row " + rowId));
    }
}
