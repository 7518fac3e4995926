package dev.lmforge.web.api;

import dev.lmforge.services.ledger.MetricStore;
import dev.lmforge.services.ledger.Records.EvaluationResult;
import dev.lmforge.services.ledger.Records.MetricPoint;
import dev.lmforge.services.ledger.Records.Page;
import dev.lmforge.services.ledger.Records.RunRecord;
import dev.lmforge.services.ledger.Records.RunSummary;
import dev.lmforge.web.auth.Caller;
import dev.lmforge.web.console.RunEventStream;
import dev.lmforge.web.problem.ProblemException;
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
import org.jboss.resteasy.reactive.RestStreamElementType;

/** Runs: submit a spec, list and read runs, resume, pause and cancel them. */
@Path("/api/runs")
@Produces(MediaType.APPLICATION_JSON)
public class RunResource {
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
    public Response submit(String spec) {
        RunRecord run = runs.submit(spec, caller.user());
        return Response.created(URI.create("/api/runs/" + run.id())).entity(run).build();
    }

    /**
     * Summaries of the runs the caller may see (their teams'; all for an admin), newest first, paged, optionally
     * filtered by status and by a prefix of the name ({@code q}): each with its planned stages' progress, never its
     * spec, which {@code GET /api/runs/{id}} has.
     */
    @GET
    public Page<RunSummary> list(@QueryParam("status") String status, @QueryParam("q") String q,
                                @QueryParam("limit") @DefaultValue("50") int limit,
                                @QueryParam("offset") @DefaultValue("0") int offset) {
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
    public RunView get(@PathParam("id") String id) {
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
    public Multi<RunView> events(@PathParam("id") String id) {
        return eventStream.open(id, caller.user());
    }

    /** Resumes a run; {@code dryRun=true} only shows which stages would be reused and which run again. */
    @POST
    @Path("{id}/resume")
    public ResumePlan resume(@PathParam("id") String id, @QueryParam("dryRun") @DefaultValue("false") boolean dryRun) {
        return runs.resume(id, dryRun, caller.user());
    }

    @POST
    @Path("{id}/pause")
    public Map<String, String> pause(@PathParam("id") String id) {
        runs.pause(id, caller.user());
        return Map.of("runId", id, "requested", "pause");
    }

    @POST
    @Path("{id}/cancel")
    public Map<String, String> cancel(@PathParam("id") String id) {
        runs.cancel(id, caller.user());
        return Map.of("runId", id, "requested", "cancel");
    }

    /**
     * One metric series of a run's stage, downsampled on the server to at most {@code points} points (every n-th
     * point, the last one kept), in step order; empty when nothing was recorded under that name.
     */
    @GET
    @Path("{id}/metrics/{stage}/{name}")
    public List<MetricPoint> metricSeries(@PathParam("id") String id, @PathParam("stage") String stage,
                                          @PathParam("name") String name,
                                          @QueryParam("points") @DefaultValue("500") int points) {
        if (points < 2 || points > MetricStore.MAX_SERIES_POINTS) {
            throw ProblemException.badRequest("points: must be between 2 and " + MetricStore.MAX_SERIES_POINTS + ", got " + points);
        }
        runs.require(id, caller.user());
        return metricStore.metricSeries(id, stage, name, points);
    }

    /** The run's evaluation figures, by stage, task and metric. */
    @GET
    @Path("{id}/evaluations")
    public List<EvaluationResult> evaluations(@PathParam("id") String id) {
        runs.require(id, caller.user());
        return metricStore.evaluations(id);
    }
}
