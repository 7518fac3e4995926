package dev.lmforge.web.console;

import dev.lmforge.services.ledger.MetricStore;
import dev.lmforge.services.ledger.Records.EvaluationResult;
import dev.lmforge.services.ledger.Records.MetricPoint;
import dev.lmforge.web.auth.Caller;
import dev.lmforge.web.problem.ProblemException;
import dev.lmforge.web.runs.RunService;
import dev.lmforge.web.runs.RunView;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.regex.Pattern;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Everything the run page shows when it opens, in one answer: the run's view, its evaluation figures and the
 * series it charts, downsampled. A page that made one call after another paid each call's round trip and
 * authentication in turn; live changes then come over the run's event stream.
 */
@Path("/api/console/runs")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "console", description = "What the console's pages read in one call")
public class RunPageResource {

    /** More series than a page charts is a mistake or an attempt to make one call do a lot of work. */
    static final int MAX_SERIES = 16;
    private static final Pattern SERIES = Pattern.compile("[a-z][a-z0-9_-]{0,63}/[A-Za-z0-9_.-]{1,128}");

    @Inject
    RunService runs;
    @Inject
    MetricStore metricStore;
    @Inject
    Caller caller;

    /** One charted series: its stage, its name and its points. */
    public record Series(String stage, String name, List<MetricPoint> points) {}

    /** The run page's first view. */
    public record RunPage(RunView run, List<EvaluationResult> evaluations, List<Series> series) {}

    @GET
    @Path("{id}")
    @Operation(summary = "Open a run page", description = "The run's view (as GET /api/runs/{id}), its evaluation "
            + "figures and each named metric series downsampled to at most `points`, in one answer.")
    @APIResponse(responseCode = "200", description = "The run, its evaluations and the series asked for (a series "
            + "nothing was recorded under has no points).")
    @APIResponse(responseCode = "400", description = "A series is not STAGE/NAME, more than 16 were asked for, or "
            + "points is out of range.")
    @APIResponse(responseCode = "404", description = "No such run, or not one of the caller's teams.")
    public RunPage page(@Parameter(description = "The run's id.") @PathParam("id") String id,
                        @Parameter(description = "A metric series to chart, as STAGE/NAME (e.g. pretrain/loss); "
                                + "repeat for more, at most 16.") @QueryParam("series") List<String> series,
                        @Parameter(description = "Points per series, 2 to 5000.")
                        @QueryParam("points") @DefaultValue("500") int points) {
        if (points < 2 || points > MetricStore.MAX_SERIES_POINTS) {
            throw ProblemException.badRequest("points: must be between 2 and " + MetricStore.MAX_SERIES_POINTS
                    + ", got " + points);
        }
        LinkedHashSet<String> wanted = new LinkedHashSet<>(series == null ? List.of() : series);
        if (wanted.size() > MAX_SERIES) {
            throw ProblemException.badRequest("series: at most " + MAX_SERIES + ", got " + wanted.size());
        }
        for (String s : wanted) {
            if (!SERIES.matcher(s).matches()) {
                throw ProblemException.badRequest("series: each must be STAGE/NAME, e.g. pretrain/loss");
            }
        }
        RunView run = runs.view(id, caller.user());
        List<Series> charted = new ArrayList<>();
        for (String s : wanted) {
            int slash = s.indexOf('/');
            String stage = s.substring(0, slash);
            String name = s.substring(slash + 1);
            charted.add(new Series(stage, name, metricStore.metricSeries(id, stage, name, points)));
        }
        return new RunPage(run, metricStore.evaluations(id), charted);
    }
}
