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

/** The signed-in user's own account: changing their password. */
@Path("/api/account")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
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
