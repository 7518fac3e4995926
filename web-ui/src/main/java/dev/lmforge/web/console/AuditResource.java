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

/**
 * The audit log: who did what and when, newest first, and a walk of its hash chain. Admins read all of it;
 * anyone else the events of one run of their teams ({@code target=RUN}).
 */
@Path("/api/audit")
@Produces(MediaType.APPLICATION_JSON)
public class AuditResource {

    @Inject
    AuditLog audit;
    @Inject
    RunService runs;
    @Inject
    Caller caller;

    /** Events newest first, paged, optionally only those about {@code target} or by {@code actor}. */
    @GET
    public Page<AuditEvent> events(@QueryParam("target") String target, @QueryParam("actor") String actor,
                                   @QueryParam("limit") @DefaultValue("50") int limit,
                                   @QueryParam("offset") @DefaultValue("0") int offset) {
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
    public AuditLog.Verification verify() {
        Permissions.requireRole(caller.user(), Role.ADMIN, "verify the audit log");
        return audit.verify();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
