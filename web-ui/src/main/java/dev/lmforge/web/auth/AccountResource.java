package dev.lmforge.web.auth;

import dev.lmforge.services.ledger.AuditLog;
import dev.lmforge.services.ledger.LedgerJson;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.services.ledger.UserStore.User;
import dev.lmforge.web.auth.PasswordCheck.Purpose;
import dev.lmforge.web.problem.ProblemException;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The signed-in user's own account: changing their password. */
@Path("/api/account")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "users")
public class AccountResource {

    @Inject
    UserStore users;
    @Inject
    AuditLog audit;
    @Inject
    Caller caller;
    @Inject
    PasswordCheck passwords;
    @Context
    HttpServerRequest request;

    /** The current password, checked (and throttled) as a sign-in is, and the new one. */
    public record PasswordChange(String currentPassword, String password) {
    }

    /**
     * Changes the caller's password and closes their other sessions (the one asking stays signed in); API tokens
     * stay. A wrong current password is a 400 naming {@code currentPassword}; a bad new one names {@code password}.
     */
    @POST
    @Path("password")
    @Operation(summary = "Change one's own password", description = "Checks the current password (throttled as a "
            + "sign-in is), sets the new one and closes the caller's other sessions; the one asking stays signed in and "
            + "API tokens stay. Answers how many sessions were closed.")
    @APIResponse(responseCode = "200", description = "{closedSessions: N}.")
    @APIResponse(responseCode = "400", description = "The current password is missing or wrong (currentPassword), or "
            + "the new one is refused (password).")
    @APIResponse(responseCode = "429", description = "Too many failed attempts for this user or address; Retry-After says when to try again.")
    public Map<String, Integer> changePassword(PasswordChange body) {
        User user = caller.user();
        if (body == null || body.currentPassword() == null || body.currentPassword().isEmpty()) {
            throw ProblemException.invalid(new IllegalArgumentException("currentPassword: is required"));
        }
        if (passwords.verify(user.name(), body.currentPassword(), PasswordCheck.clientOf(request), Purpose.PASSWORD_CHANGE).isEmpty()) {
            throw ProblemException.invalid(new IllegalArgumentException("currentPassword: is wrong"));
        }
        int closed;
        try {
            closed = users.changePassword(user.name(), body.password(), caller.session());
        } catch (IllegalArgumentException e) {
            throw ProblemException.invalid(e);
        }
        audit.append(user.name(), "user.password.change", "user:" + user.name(),
                LedgerJson.toJson(Map.of("closedSessions", closed)));
        return Map.of("closedSessions", closed);
    }
}
