package dev.lmforge.web.auth;

import dev.lmforge.services.ledger.AuditLog;
import dev.lmforge.services.ledger.LedgerJson;
import dev.lmforge.services.ledger.UserStore.User;
import dev.lmforge.web.problem.Refusal;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * Writes refused requests to the audit log: who (the user whose credentials came with it) tried what (method,
 * path and why it was refused) on which target, named as that target's own events are (a run's id,
 * {@code user:NAME}, {@code token:ID}; else the path), so that the target's audit trail shows the attempt.
 */
@ApplicationScoped
public class RefusalAudit {

    /** The actor of events without a signed-in user: failed sign-ins, refusals before credentials were checked. */
    static final String ANONYMOUS = "anonymous";
    private static final Pattern TARGET = Pattern.compile("^/api/(runs|users|tokens)/([^/]+)");
    private static final Logger LOG = Logger.getLogger(RefusalAudit.class);

    @Inject
    AuditLog audit;
    @Inject
    Caller caller;

    /** Audits a 403; a failure to write it is logged, never put in the way of the answer. */
    void forbidden(@Observes Refusal refusal) {
        String actor = caller.known().map(User::name).orElse(ANONYMOUS);
        String request = refusal.method() + " " + refusal.path();
        try {
            audit.append(actor, "access.denied", targetOf(refusal.path()),
                    LedgerJson.toJson(Map.of("request", request, "reason", refusal.reason())));
        } catch (RuntimeException e) {
            LOG.errorf(e, "could not audit the refusal of %s to %s", request, actor);
        }
    }

    static String targetOf(String path) {
        Matcher m = TARGET.matcher(path);
        if (!m.find()) {
            return path;
        }
        return switch (m.group(1)) {
            case "runs" -> m.group(2);
            case "users" -> "user:" + m.group(2);
            default -> "token:" + m.group(2);
        };
    }
}
