package dev.lmforge.web.console;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.services.ledger.MetadataStore;
import dev.lmforge.services.ledger.Records.Page;
import dev.lmforge.services.ledger.Records.RunRecord;
import dev.lmforge.services.ledger.Records.StageRecord;
import dev.lmforge.services.ledger.UserStore.User;
import dev.lmforge.web.api.ProblemException;
import dev.lmforge.web.api.RunResource;
import dev.lmforge.web.auth.Caller;
import dev.lmforge.web.auth.Permissions;
import dev.lmforge.workflows.spec.LifecycleSpec;
import dev.lmforge.workflows.stage.Stage;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What the console's runs page shows: one page of runs, each with the status of every planned stage, in two
 * queries whatever the page size (never one query per run).
 */
@Path("/api/console")
@Produces(MediaType.APPLICATION_JSON)
public class RunTableResource {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    RunResource runs;
    @Inject
    MetadataStore ledger;
    @Inject
    Caller caller;

    /** A run as a row of the runs page; {@code stages} in lifecycle order, {@code PENDING} until started. */
    public record RunRow(String id, String name, String team, String owner, String status, String resumedFrom,
                         Instant createdAt, Instant startedAt, Instant endedAt, List<StageChip> stages) {
    }

    /** One planned stage's newest status. */
    public record StageChip(String stage, String status) {
    }

    /** The same filters and paging as {@code GET /api/runs}, with stage progress. */
    @GET
    @Path("runs")
    public Page<RunRow> list(@QueryParam("status") String status, @QueryParam("q") String q,
                             @QueryParam("limit") @DefaultValue("50") int limit,
                             @QueryParam("offset") @DefaultValue("0") int offset) {
        Page<RunRecord> page = runs.list(status == null || status.isBlank() ? null : status, q, limit, offset);
        Map<String, Map<String, String>> statuses = ledger.newestStageStatuses(page.items().stream().map(RunRecord::id).toList());
        List<RunRow> rows = page.items().stream().map(r -> {
            Map<String, String> byStage = statuses.getOrDefault(r.id(), Map.of());
            List<StageChip> chips = plannedStages(r).stream()
                    .map(s -> new StageChip(s.id(), byStage.getOrDefault(s.id(), "PENDING"))).toList();
            return new RunRow(r.id(), r.name(), r.team(), r.owner(), r.status(), r.resumedFrom(), r.createdAt(),
                    r.startedAt(), r.endedAt(), chips);
        }).toList();
        return new Page<>(rows, page.total(), page.limit(), page.offset());
    }

    /** One stage row, whichever run it belongs to: the run page follows a cache hit to the row it reused. */
    @GET
    @Path("stages/{rowId}")
    public StageRecord stage(@PathParam("rowId") long rowId) {
        User user = caller.user();
        return ledger.stage(rowId)
                .filter(s -> ledger.run(s.runId()).filter(r -> Permissions.canSee(user, r.team())).isPresent())
                .orElseThrow(() -> ProblemException.notFound("no stage row " + rowId));
    }

    private static List<Stage> plannedStages(RunRecord run) {
        try {
            return JSON.readValue(run.spec(), LifecycleSpec.class).stageList();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("run " + run.id() + " has a spec the ledger cannot read back: " + e.getMessage(), e);
        }
    }
}
