package dev.lmforge.web.console;

import dev.lmforge.services.ledger.MetricStore;
import dev.lmforge.services.ledger.Records.EvaluationResult;
import dev.lmforge.services.ledger.Records.RunRecord;
import dev.lmforge.services.ledger.UserStore.User;
import dev.lmforge.web.auth.Caller;
import dev.lmforge.web.problem.ProblemException;
import dev.lmforge.web.runs.RunService;
import dev.lmforge.web.runs.RunView;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Runs side by side, for the console's compare page and {@code lmforge compare}: each run's spec as submitted,
 * its stages' statuses and summary figures, and its evaluation figures. Loss curves come from the metric series
 * route of each run.
 */
@Path("/api/compare")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "runs")
public class RunComparisonResource {

    /** More runs than this side by side would not fit a page. */
    static final int MAX_RUNS = 8;

    @Inject
    RunService runs;
    @Inject
    MetricStore metricStore;
    @Inject
    Caller caller;

    /** One run of a comparison. */
    public record ComparedRun(String id, String name, String team, String owner, String status, Instant createdAt,
                              Instant startedAt, Instant endedAt, String specSource, List<ComparedStage> stages,
                              List<EvaluationResult> evaluations) {
    }

    /** One planned stage of a compared run: its newest status, summary figures and duration. */
    public record ComparedStage(String stage, String status, Map<String, Double> summary, Instant startedAt,
                                Instant endedAt) {
    }

    /** {@code ?run=A&run=B...}: two to {@value #MAX_RUNS} distinct runs the caller may see, in the order asked. */
    @GET
    @Operation(summary = "Compare runs", description = "Two to eight runs side by side, in the order asked: each "
            + "run's spec as submitted, its stages' statuses, summary figures and times, and its evaluation figures.")
    @APIResponse(responseCode = "200", description = "The runs, in the order asked.")
    @APIResponse(responseCode = "400", description = "Fewer than 2 or more than 8 distinct runs.")
    @APIResponse(responseCode = "404", description = "A run that does not exist, or is not of the caller's teams.")
    public List<ComparedRun> compare(@Parameter(description = "A run id; repeat it for each run (?run=A&run=B).")
                                     @QueryParam("run") List<String> ids) {
        List<String> distinct = List.copyOf(new LinkedHashSet<>(ids == null ? List.of() : ids));
        if (distinct.size() < 2 || distinct.size() > MAX_RUNS) {
            throw ProblemException.badRequest("run: name 2 to " + MAX_RUNS + " distinct runs (?run=A&run=B), got "
                    + distinct.size());
        }
        User user = caller.user();
        return distinct.stream().map(id -> compared(id, user)).toList();
    }

    private ComparedRun compared(String id, User user) {
        RunRecord run = runs.require(id, user);
        RunView view = runs.view(id, user);
        List<ComparedStage> stages = view.stages().stream()
                .map(s -> new ComparedStage(s.stage(), s.status(), s.summary(), s.startedAt(), s.endedAt())).toList();
        return new ComparedRun(run.id(), run.name(), run.team(), run.owner(), run.status(), run.createdAt(),
                run.startedAt(), run.endedAt(), run.specSource(), stages, metricStore.evaluations(id));
    }
}
