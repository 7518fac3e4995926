package dev.lmforge.web.api;

import dev.lmforge.services.ledger.MetricStore;
import dev.lmforge.services.ledger.Records.EvaluationResult;
import dev.lmforge.services.ledger.Records.MetricPoint;
import dev.lmforge.services.ledger.Records.MetricSummary;
import dev.lmforge.services.ledger.Records.Page;
import dev.lmforge.services.ledger.Records.RunRecord;
import dev.lmforge.services.ledger.Records.RunSummary;
import dev.lmforge.web.auth.Caller;
import dev.lmforge.web.console.RunEventStream;
import dev.lmforge.web.problem.ProblemException;
import dev.lmforge.web.runs.ExtendPlan;
import dev.lmforge.web.runs.ResumePlan;
import dev.lmforge.web.runs.RunService;
import dev.lmforge.web.runs.RunView;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestStreamElementType;

/** Runs: submit a spec, list and read runs, resume, pause and cancel them. */
@Path("/api/runs")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "runs", description = "Lifecycle runs: submit, list, watch, resume, extend, pause, cancel, metrics")
public class RunResource {

    static final String RUN_ID = "The run's id, as POST /api/runs answered it (e.g. run-20261207-...).";

    /** The most runs one page of the list returns. */
    static final int MAX_PAGE = 200;
    private static final Set<String> STATUSES = Set.of("QUEUED", "RUNNING", "PAUSED", "SUCCEEDED", "FAILED",
            "CANCELLED", "INTERRUPTED");

    @Inject
    RunService runs;
    @Inject
    RunEventStream eventStream;
    @Inject
    Caller caller;
    @Inject
    MetricStore metricStore;

    /** Submits a lifecycle spec, YAML or JSON; 201 with the run, or 400 naming each bad field. */
    @POST
    @Consumes({"application/yaml", "application/x-yaml", "text/yaml", MediaType.APPLICATION_JSON, MediaType.TEXT_PLAIN})
    @Operation(summary = "Submit a lifecycle spec", description = "Validates the spec (YAML or JSON, as in the README's "
            + "'The lifecycle spec'), records the run in the caller's team (or the spec's `team`, which must be one of "
            + "theirs) and starts its workflow. Answers 201 with the run's view and its URL in Location. Operators and admins only.")
    @RequestBody(description = "The lifecycle spec as YAML or JSON text.", required = true,
            content = @Content(schema = @Schema(implementation = String.class)))
    @APIResponse(responseCode = "201", description = "The run was recorded and its workflow started.",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = RunView.class)))
    @APIResponse(responseCode = "400", description = "The spec is invalid; `errors` names each field at fault.")
    @APIResponse(responseCode = "403", description = "The caller is a viewer, or the spec names a team not theirs.")
    @APIResponse(responseCode = "413", description = "The spec is larger than the spec parser's limit, or the body than the server's.")
    public Response submit(String spec) {
        RunRecord run = runs.submit(spec, caller.user());
        return Response.created(URI.create("/api/runs/" + run.id())).entity(runs.view(run.id(), caller.user())).build();
    }

    /**
     * Summaries of the runs the caller may see (their teams'; all for an admin), newest first, paged, optionally
     * filtered by status and by a prefix of the name ({@code q}): each with its planned stages' progress, never its
     * spec, which {@code GET /api/runs/{id}} has.
     */
    @GET
    @Operation(summary = "List runs", description = "Summaries of the runs the caller may see (their teams'; every "
            + "run for an admin), newest first, paged: each with its planned stages' statuses. A summary never carries "
            + "the spec; GET /api/runs/{id} has it.")
    @APIResponse(responseCode = "200", description = "One page of runs and the total that matched.")
    @APIResponse(responseCode = "400", description = "An unknown status, or limit, offset or q out of range.")
    public Page<RunSummary> list(@Parameter(description = "Only runs in this status: QUEUED, RUNNING, PAUSED, "
                                         + "SUCCEEDED, FAILED, CANCELLED or INTERRUPTED.") @QueryParam("status") String status,
                                 @Parameter(description = "Only runs whose name starts with this (at most 200 characters).")
                                 @QueryParam("q") String q,
                                 @Parameter(description = "Runs per page, 1 to 200.") @QueryParam("limit") @DefaultValue("50") int limit,
                                 @Parameter(description = "Runs to skip, for the next pages.") @QueryParam("offset") @DefaultValue("0") int offset) {
        if (status != null && !STATUSES.contains(status)) {
            throw ProblemException.badRequest("status: unknown run status '" + status + "'; known: " + STATUSES);
        }
        if (limit < 1 || limit > MAX_PAGE) {
            throw ProblemException.badRequest("limit: must be between 1 and " + MAX_PAGE + ", got " + limit);
        }
        if (offset < 0) {
            throw ProblemException.badRequest("offset: must not be negative, got " + offset);
        }
        if (q != null && q.length() > 200) {
            throw ProblemException.badRequest("q: a name prefix of at most 200 characters, got " + q.length());
        }
        return runs.list(caller.user(), status, q, limit, offset);
    }

    @GET
    @Path("{id}")
    @Operation(summary = "Read a run", description = "The run's view: its ledger row, the spec as validated (a JSON "
            + "object), each planned stage's newest execution with its attempts, inputs, outputs and summary figures, "
            + "and a summary of each metric series.")
    @APIResponse(responseCode = "200", description = "The run's view.")
    @APIResponse(responseCode = "404", description = "No such run, or not one of the caller's teams.")
    public RunView get(@Parameter(description = RUN_ID) @PathParam("id") String id) {
        return runs.view(id, caller.user());
    }

    /**
     * Server-sent events: the run's view now, then again each time it changes, until the run ends (the ledger is
     * read every half second for each open stream; see {@link RunEventStream} for the bounds).
     */
    @GET
    @Path("{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    @Blocking
    @Operation(summary = "Watch a run", description = "Server-sent events: each event's data is the run's view (as "
            + "GET /api/runs/{id} answers it), first as it is now, then each time it changes, until the run ends.")
    @APIResponse(responseCode = "200", description = "An event stream of run views.", content = @Content(
            mediaType = MediaType.SERVER_SENT_EVENTS, schema = @Schema(implementation = RunView.class)))
    @APIResponse(responseCode = "404", description = "No such run, or not one of the caller's teams.")
    @APIResponse(responseCode = "429", description = "The caller holds the most streams one user may open "
            + "(lmforge.streams.per-user); Retry-After says when to try again.")
    @APIResponse(responseCode = "503", description = "Everyone together holds the most streams the server keeps open.")
    public Multi<RunView> events(@Parameter(description = RUN_ID) @PathParam("id") String id) {
        return eventStream.open(id, caller.user());
    }

    /** Resumes a run; {@code dryRun=true} only shows which stages would be reused and which run again. */
    @POST
    @Path("{id}/resume")
    @Operation(summary = "Resume a run", description = "A paused run goes on; an interrupted, failed or cancelled one "
            + "starts a new linked run that reuses its completed stages. Answers which stages are reused and which run "
            + "again, and the run that goes on. Operators and admins only.")
    @APIResponse(responseCode = "200", description = "The resume plan, and the id of the run that goes on.")
    @APIResponse(responseCode = "403", description = "The caller is a viewer (a dry run is open to them).")
    @APIResponse(responseCode = "404", description = "No such run, or not one of the caller's teams.")
    @APIResponse(responseCode = "409", description = "The run is queued, running or succeeded: there is nothing to resume.")
    public ResumePlan resume(@Parameter(description = RUN_ID) @PathParam("id") String id,
                             @Parameter(description = "true: only show the plan, start nothing.")
                             @QueryParam("dryRun") @DefaultValue("false") boolean dryRun) {
        return runs.resume(id, dryRun, caller.user());
    }

    /** The body of an extension: the new compute budget. */
    @Schema(description = "The new compute budget of an extended run.")
    public record ExtendRequest(@Schema(description = "Total training FLOPs C; above the run's compute.budget.")
                                Double budget) {
    }

    /**
     * Extends a finished pretraining to a larger budget; {@code dryRun=true} only shows the plan: the model, the
     * steps reused from the boundary checkpoint and those trained anew, tokens and compute.
     */
    @POST
    @Path("{id}/extend")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Extend a run's pretraining", description = "Continual training (the paper's Figure 1b): "
            + "a new run with this run's spec, compute.budget raised to `budget` and training.extendFrom set to its "
            + "pretraining's checkpoint at the multi-step schedule's first drop, so the same model and batch go on "
            + "from there instead of starting over. Answers the plan (model shape, steps reused and new, tokens, "
            + "compute) and, unless a dry run, the new run's id. Operators and admins only; a dry run is open to viewers.")
    @RequestBody(description = "{budget}: the new compute budget in FLOPs.", required = true,
            content = @Content(schema = @Schema(implementation = ExtendRequest.class)))
    @APIResponse(responseCode = "200", description = "The extension plan, with the new run's id unless a dry run.")
    @APIResponse(responseCode = "400", description = "budget is missing, not above the run's budget, or buys no "
            + "steps past the checkpoint (the field is named).")
    @APIResponse(responseCode = "403", description = "The caller is a viewer (a dry run is open to them).")
    @APIResponse(responseCode = "404", description = "No such run, or not one of the caller's teams.")
    @APIResponse(responseCode = "409", description = "The run has no succeeded pretrain stage, or its pretraining "
            + "kept no checkpoint at the multi-step boundary.")
    public ExtendPlan extend(@Parameter(description = RUN_ID) @PathParam("id") String id,
                             @Parameter(description = "true: only show the plan, start nothing.")
                             @QueryParam("dryRun") @DefaultValue("false") boolean dryRun, ExtendRequest request) {
        return runs.extend(id, request == null ? null : request.budget(), dryRun, caller.user());
    }

    @POST
    @Path("{id}/pause")
    @Operation(summary = "Pause a run", description = "Asks a running run to stop before its next stage; the stage "
            + "that is running finishes. Operators and admins only.")
    @APIResponse(responseCode = "200", description = "The request was sent: {runId, requested: pause}.")
    @APIResponse(responseCode = "403", description = "The caller is a viewer.")
    @APIResponse(responseCode = "404", description = "No such run, or not one of the caller's teams.")
    @APIResponse(responseCode = "409", description = "The run is not running.")
    public Map<String, String> pause(@Parameter(description = RUN_ID) @PathParam("id") String id) {
        runs.pause(id, caller.user());
        return Map.of("runId", id, "requested", "pause");
    }

    @POST
    @Path("{id}/cancel")
    @Operation(summary = "Cancel a run", description = "Cancels a queued, running or paused run; its running stage "
            + "is cancelled too. Operators and admins only.")
    @APIResponse(responseCode = "200", description = "The request was sent: {runId, requested: cancel}.")
    @APIResponse(responseCode = "403", description = "The caller is a viewer.")
    @APIResponse(responseCode = "404", description = "No such run, or not one of the caller's teams.")
    @APIResponse(responseCode = "409", description = "The run has already ended.")
    public Map<String, String> cancel(@Parameter(description = RUN_ID) @PathParam("id") String id) {
        runs.cancel(id, caller.user());
        return Map.of("runId", id, "requested", "cancel");
    }

    /**
     * One metric series of a run's stage, downsampled on the server to at most {@code points} points (every n-th
     * point, the last one kept), in step order; a 404 naming the series recorded for the stage when nothing was
     * recorded under that name (a series has at least one point once it exists, so only then is the list read).
     */
    @GET
    @Path("{id}/metrics/{stage}/{name}")
    @Operation(summary = "Read a metric series", description = "One metric series of a run's stage (e.g. pretrain "
            + "loss), downsampled on the server to at most `points` points: the first, every n-th and the last, in step order.")
    @APIResponse(responseCode = "200", description = "The series' points.")
    @APIResponse(responseCode = "400", description = "points is out of range.")
    @APIResponse(responseCode = "404", description = "No such run (or not one of the caller's teams), or no series of "
            + "that name recorded for that stage; the detail lists the stage's series.")
    public List<MetricPoint> metricSeries(@Parameter(description = RUN_ID) @PathParam("id") String id,
                                          @Parameter(description = "The stage, e.g. pretrain.") @PathParam("stage") String stage,
                                          @Parameter(description = "The series' name as the stage records it, e.g. loss, "
                                                  + "learning_rate, gradient_norm, tokens_per_second.") @PathParam("name") String name,
                                          @Parameter(description = "The most points to answer, 2 to 5000.")
                                          @QueryParam("points") @DefaultValue("500") int points) {
        if (points < 2 || points > MetricStore.MAX_SERIES_POINTS) {
            throw ProblemException.badRequest("points: must be between 2 and " + MetricStore.MAX_SERIES_POINTS + ", got " + points);
        }
        runs.require(id, caller.user());
        List<MetricPoint> series = metricStore.metricSeries(id, stage, name, points);
        if (series.isEmpty()) {
            List<String> known = metricStore.metricSummaries(id).stream().filter(m -> m.stage().equals(stage))
                    .map(MetricSummary::name).toList();
            throw ProblemException.notFound("run " + id + " has no metric '" + name + "' for stage '" + stage
                    + "'; recorded for that stage: " + (known.isEmpty() ? "none" : String.join(", ", known)));
        }
        return series;
    }

    /** The run's evaluation figures, by stage, task and metric. */
    @GET
    @Path("{id}/evaluations")
    @Operation(summary = "Read a run's evaluation figures", description = "Every figure the run's evaluation stages "
            + "recorded, by stage, task and metric, with its standard error where there is one.")
    @APIResponse(responseCode = "200", description = "The figures; empty before an evaluation stage has finished.")
    @APIResponse(responseCode = "404", description = "No such run, or not one of the caller's teams.")
    public List<EvaluationResult> evaluations(@Parameter(description = RUN_ID) @PathParam("id") String id) {
        runs.require(id, caller.user());
        return metricStore.evaluations(id);
    }
}
