package dev.lmforge.web.api;

import dev.lmforge.services.ledger.AttemptLogStore;
import dev.lmforge.services.ledger.AttemptLogStore.AttemptLog;
import dev.lmforge.web.auth.Caller;
import dev.lmforge.web.problem.ProblemException;
import dev.lmforge.web.runs.RunService;
import dev.lmforge.workflows.stage.Stage;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The log of one attempt of a run's stage, as its compute worker captured it (bounded and redacted there): plain
 * text, with {@value #COMPLETE_HEADER} saying whether the attempt has ended, so a client polls until it is true.
 * Whoever may see the run may read it.
 */
@Path("/api/runs/{id}/stages/{stage}/attempts/{attempt}/log")
@Tag(name = "runs")
public class RunAttemptLogResource {

    /** Whether the log is final ({@code true}) or the attempt still runs and the log grows ({@code false}). */
    public static final String COMPLETE_HEADER = "X-Lmforge-Log-Complete";
    /** More attempts than any stage's retry policy allows. */
    static final int MAX_ATTEMPT = 10_000;

    @Inject
    RunService runs;
    @Inject
    AttemptLogStore logs;
    @Inject
    Caller caller;

    @GET
    @Produces(MediaType.TEXT_PLAIN)
    @Operation(summary = "Read a stage attempt's log", description = "The log lines that attempt `attempt` of the "
            + "run's stage wrote on its compute worker: the first 64 KiB and the last 192 KiB, with a line saying how "
            + "many bytes between them were dropped, secrets redacted. Saved every few seconds while the attempt "
            + "runs: poll until " + COMPLETE_HEADER + " is true.")
    @APIResponse(responseCode = "200", description = "The log as last saved.",
            content = @Content(mediaType = MediaType.TEXT_PLAIN, schema = @Schema(implementation = String.class)),
            headers = {
                    @Header(name = COMPLETE_HEADER, description = "true once the attempt has ended and the log is "
                            + "final; false while it runs.", schema = @Schema(implementation = Boolean.class)),
                    @Header(name = "X-Lmforge-Log-Dropped-Bytes", description = "How many bytes of the log were "
                            + "dropped between its head and its tail.", schema = @Schema(implementation = Long.class))})
    @APIResponse(responseCode = "400", description = "attempt is not between 1 and " + MAX_ATTEMPT + ".")
    @APIResponse(responseCode = "404", description = "No such run (or not one of the caller's teams), no such stage, "
            + "or no log saved for that attempt (it never ran, or ran before its worker kept logs).")
    public Response read(@Parameter(description = RunResource.RUN_ID) @PathParam("id") String id,
                         @Parameter(description = "The stage, e.g. pretrain.") @PathParam("stage") String stage,
                         @Parameter(description = "The attempt's number, 1 for the first.") @PathParam("attempt") int attempt) {
        if (attempt < 1 || attempt > MAX_ATTEMPT) {
            throw ProblemException.badRequest("attempt: must be between 1 and " + MAX_ATTEMPT + ", got " + attempt);
        }
        runs.require(id, caller.user());
        if (Stage.byId(stage).isEmpty()) {
            throw ProblemException.notFound("no stage '" + (stage.length() > 40 ? stage.substring(0, 40) + "..." : stage)
                    + "' in lifecycle runs");
        }
        AttemptLog log = logs.read(id, stage, attempt).orElseThrow(() -> ProblemException.notFound("run " + id
                + " has no log for attempt " + attempt + " of stage '" + stage + "'"));
        return Response.ok(log.text(), MediaType.TEXT_PLAIN_TYPE.withCharset("UTF-8"))
                .header(COMPLETE_HEADER, log.complete())
                .header("X-Lmforge-Log-Dropped-Bytes", log.bytesDropped())
                .header("Cache-Control", "no-store")
                .build();
    }
}
