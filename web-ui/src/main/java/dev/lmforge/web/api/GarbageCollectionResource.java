package dev.lmforge.web.api;

import dev.lmforge.services.ledger.AuditLog;
import dev.lmforge.services.ledger.GarbageCollector;
import dev.lmforge.services.ledger.GarbageCollector.Doomed;
import dev.lmforge.services.ledger.GarbageCollector.Plan;
import dev.lmforge.services.ledger.GarbageCollector.Retention;
import dev.lmforge.services.ledger.LedgerJson;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.services.ledger.UserStore.Role;
import dev.lmforge.services.ledger.UserStore.User;
import dev.lmforge.web.auth.Caller;
import dev.lmforge.web.auth.Permissions;
import dev.lmforge.web.problem.ProblemException;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Garbage collection of the artifact store ({@link GarbageCollector}) and the teams' retention that decides which
 * runs it keeps. Admins only; every collection and every change of retention is audited.
 */
@Path("/api")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "artifacts", description = "Content-addressed artifacts: metadata, bytes and lineage")
public class GarbageCollectionResource {

    /** The objects a report names one by one; the totals count them all. */
    static final int LISTED = 1000;
    /** A year: a longer grace is a typo. */
    static final long MAX_GRACE_MINUTES = 525_600;
    /** One collection at a time: two would plan against each other's deletions. */
    private static final ReentrantLock COLLECTING = new ReentrantLock();
    private static final String TEAM = "The team's name.";

    @Inject
    GarbageCollector collector;
    @Inject
    UserStore users;
    @Inject
    AuditLog audit;
    @Inject
    Caller caller;
    @ConfigProperty(name = "lmforge.gc.grace-minutes", defaultValue = "1440")
    long defaultGraceMinutes;

    /**
     * What a collection found and did.
     *
     * @param dryRun        whether it only planned
     * @param graceMinutes  how old an object had to be to go
     * @param objectsListed objects under artifacts/ and staging/ it looked at, and their bytes
     * @param droppedRuns   runs their teams' retention no longer keeps
     * @param planned       objects that go (or would), and their bytes
     * @param byReason      those per reason: objects and bytes
     * @param deleted       objects deleted (0 on a dry run), and their bytes
     * @param objects       the first {@value #LISTED} of the planned objects
     */
    public record GcReport(boolean dryRun, long graceMinutes, long objectsListed, long bytesListed,
                           List<String> droppedRuns, long planned, long bytesPlanned,
                           Map<String, Map<String, Long>> byReason, long deleted, long bytesDeleted,
                           List<Doomed> objects) {

        static GcReport of(Plan plan) {
            Map<String, Map<String, Long>> byReason = new TreeMap<>();
            for (Doomed d : plan.objects()) {
                Map<String, Long> counts = byReason.computeIfAbsent(d.reason(), r -> new LinkedHashMap<>(Map.of("objects", 0L, "bytes", 0L)));
                counts.merge("objects", 1L, Long::sum);
                counts.merge("bytes", d.sizeBytes(), Long::sum);
            }
            return new GcReport(plan.dryRun(), plan.grace().toMinutes(), plan.objectsListed(), plan.bytesListed(),
                    plan.droppedRuns(), plan.objects().size(), plan.bytes(), byReason, plan.deleted(),
                    plan.bytesDeleted(), plan.objects().subList(0, Math.min(LISTED, plan.objects().size())));
        }
    }

    /** A team's retention to set: both null (or absent) keeps every run. */
    public record NewRetention(Integer keepRuns, Integer keepDays) {
    }

    @POST
    @Path("admin/gc")
    @Operation(summary = "Collect garbage in the artifact store", description = "Plans, and unless dryRun deletes, the "
            + "objects no retained run needs: intermediates of ended stages (band, pair and removal files), artifacts "
            + "only runs dropped by their team's retention refer to, objects with no record, and abandoned staging "
            + "uploads, each older than the grace period. Never an object a stage still running wrote, nor what a kept "
            + "run's lineage reaches, nor a named object (audit anchors). Records stay, marked deleted; a download of a "
            + "deleted artifact answers 410. Audited. Admins only.")
    @APIResponse(responseCode = "200", description = "The plan, its totals per reason and, unless a dry run, what was deleted.")
    @APIResponse(responseCode = "400", description = "dryRun is not true or false, or graceMinutes is not a whole number "
            + "from 0 to 525600; the field is named.")
    @APIResponse(responseCode = "403", description = "The caller is not an admin.")
    @APIResponse(responseCode = "409", description = "Another collection is under way.")
    public GcReport collect(@Parameter(description = "true (the default): only plan; false: delete what the plan names.")
                            @QueryParam("dryRun") String dryRun,
                            @Parameter(description = "Minutes an object must have existed to go, 0 to 525600 (default "
                                    + "lmforge.gc.grace-minutes, 1440).") @QueryParam("graceMinutes") String graceMinutes) {
        User admin = caller.user();
        Permissions.requireRole(admin, Role.ADMIN, "collect garbage");
        boolean dry = parseDryRun(dryRun);
        long grace = parseGrace(graceMinutes);
        if (!COLLECTING.tryLock()) {
            throw ProblemException.conflict("a garbage collection is under way; try again when it has ended");
        }
        try {
            GcReport report = GcReport.of(collector.collect(Duration.ofMinutes(grace), dry));
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("dryRun", dry);
            details.put("graceMinutes", grace);
            details.put("planned", report.planned());
            details.put("bytesPlanned", report.bytesPlanned());
            details.put("deleted", report.deleted());
            details.put("bytesDeleted", report.bytesDeleted());
            details.put("droppedRuns", report.droppedRuns().size());
            audit.append(admin.name(), dry ? "gc.plan" : "gc.collect", "artifact-store", LedgerJson.toJson(details));
            return report;
        } finally {
            COLLECTING.unlock();
        }
    }

    @GET
    @Path("teams/{team}/retention")
    @Operation(summary = "Read a team's retention", description = "How many of the team's runs garbage collection keeps: "
            + "the newest keepRuns and those younger than keepDays (either keeps a run); both null keeps every run. "
            + "Admins only.")
    @APIResponse(responseCode = "200", description = "The team's retention.")
    @APIResponse(responseCode = "403", description = "The caller is not an admin.")
    @APIResponse(responseCode = "404", description = "No such team.")
    public Retention retention(@Parameter(description = TEAM) @PathParam("team") String team) {
        Permissions.requireRole(caller.user(), Role.ADMIN, "read a team's retention");
        Permissions.requireTeam(team, users.teams());
        return collector.retention(team);
    }

    @PUT
    @Path("teams/{team}/retention")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Set a team's retention", description = "Sets how many of the team's runs garbage collection "
            + "keeps: keepRuns (1 to 1000000) newest and/or those younger than keepDays (1 to 36500); both null keeps "
            + "every run. What a kept run's lineage reaches is kept regardless. Audited. Admins only.")
    @APIResponse(responseCode = "200", description = "The team's retention as now set.")
    @APIResponse(responseCode = "400", description = "keepRuns or keepDays is out of range; the field is named.")
    @APIResponse(responseCode = "403", description = "The caller is not an admin.")
    @APIResponse(responseCode = "404", description = "No such team.")
    public Retention setRetention(@Parameter(description = TEAM) @PathParam("team") String team, NewRetention body) {
        User admin = caller.user();
        Permissions.requireRole(admin, Role.ADMIN, "set a team's retention");
        Permissions.requireTeam(team, users.teams());
        Integer keepRuns = body == null ? null : body.keepRuns();
        Integer keepDays = body == null ? null : body.keepDays();
        requireRange("keepRuns", keepRuns, 1_000_000);
        requireRange("keepDays", keepDays, 36_500);
        collector.setRetention(team, keepRuns, keepDays);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("keepRuns", keepRuns);
        details.put("keepDays", keepDays);
        audit.append(admin.name(), "team.retention.set", "team:" + team, LedgerJson.toJson(details));
        return collector.retention(team);
    }


    private static void requireRange(String field, Integer value, int max) {
        if (value != null && (value < 1 || value > max)) {
            throw field(field, "must be from 1 to " + max + ", or null for no limit");
        }
    }

    static boolean parseDryRun(String value) {
        if (value == null || value.equals("true")) {
            return true;
        }
        if (value.equals("false")) {
            return false;
        }
        throw field("dryRun", "must be true or false");
    }

    private long parseGrace(String value) {
        if (value == null) {
            return defaultGraceMinutes;
        }
        try {
            long minutes = Long.parseLong(value);
            if (minutes >= 0 && minutes <= MAX_GRACE_MINUTES) {
                return minutes;
            }
        } catch (NumberFormatException e) {
            // Refused below, without echoing the value.
        }
        throw field("graceMinutes", "must be a whole number of minutes from 0 to " + MAX_GRACE_MINUTES);
    }

    private static ProblemException field(String field, String message) {
        return new ProblemException(400, "Bad Request", field + ": " + message,
                List.of(new ProblemException.FieldError(field, message)));
    }
}
