package dev.lmforge.web.console;

import dev.lmforge.services.ledger.AuditLog;
import dev.lmforge.services.ledger.AuditLog.AuditEvent;
import dev.lmforge.services.ledger.Records.Page;
import dev.lmforge.services.ledger.UserStore.Role;
import dev.lmforge.services.ledger.UserStore.User;
import dev.lmforge.web.auth.Caller;
import dev.lmforge.web.auth.Permissions;
import dev.lmforge.web.problem.ProblemException;
import dev.lmforge.web.runs.RunService;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The audit log: who did what and when, newest first, and a walk of its hash chain. Admins read all of it;
 * anyone else the events of one run of their teams ({@code target=RUN}).
 */
@Path("/api/audit")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "audit", description = "The audit log and its hash chain")
public class AuditResource {

    @Inject
    AuditLog audit;
    @Inject
    RunService runs;
    @Inject
    Caller caller;

    /** Events newest first, paged, optionally only those about {@code target} or by {@code actor}. */
    @GET
    @Operation(summary = "Read the audit log", description = "Who did what and when, newest first, paged: every "
            + "event for an admin; for anyone else only the events of one run of their teams (target=RUN).")
    @APIResponse(responseCode = "200", description = "One page of events and the total that matched.")
    @APIResponse(responseCode = "400", description = "limit or offset out of range.")
    @APIResponse(responseCode = "403", description = "A non-admin asked without target.")
    @APIResponse(responseCode = "404", description = "A non-admin's target is no run of their teams.")
    public Page<AuditEvent> events(@Parameter(description = "Only events about this target: a run id, or e.g. user:NAME, team:NAME, token:ID.")
                                   @QueryParam("target") String target,
                                   @Parameter(description = "Only events by this user.") @QueryParam("actor") String actor,
                                   @Parameter(description = "Events per page, 1 to 500.") @QueryParam("limit") @DefaultValue("50") int limit,
                                   @Parameter(description = "Events to skip, for the next pages.") @QueryParam("offset") @DefaultValue("0") int offset) {
        if (limit < 1 || limit > 500) {
            throw ProblemException.badRequest("limit: must be between 1 and 500, got " + limit);
        }
        if (offset < 0) {
            throw ProblemException.badRequest("offset: must not be negative, got " + offset);
        }
        String t = blankToNull(target);
        String a = blankToNull(actor);
        User user = caller.user();
        if (user.role() != Role.ADMIN) {
            if (t == null) {
                throw ProblemException.forbidden("target: the whole audit log is for admins; give target=RUN for a run of your teams");
            }
            runs.require(t, user);
        }
        return new Page<>(audit.events(t, a, limit, offset), audit.count(t, a), limit, offset);
    }

    /**
     * For admins: walks the chain from the first event on (consecutive ids, every keyed hash) and compares it with the
     * newest anchor in the artifact store. Intact, or the first bad event and why: {@code EDITED}, {@code GAP},
     * {@code MISSING_TAIL} (events after an anchor are gone), {@code BAD_KEY} or {@code UNKEYED}.
     */
    @GET
    @Path("verify")
    @Operation(summary = "Verify the audit log", description = "Walks the hash chain from the first event (consecutive "
            + "ids, every keyed hash) and compares it with the newest anchor in the artifact store: intact, or the first "
            + "bad event and why (EDITED, GAP, MISSING_TAIL, BAD_KEY, UNKEYED). Admins only.")
    @APIResponse(responseCode = "200", description = "The outcome of the walk, intact or not.")
    @APIResponse(responseCode = "403", description = "The caller is not an admin.")
    public AuditLog.Verification verify() {
        Permissions.requireRole(caller.user(), Role.ADMIN, "verify the audit log");
        return audit.verify();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
