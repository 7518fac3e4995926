package dev.lmforge.web.auth;

import dev.lmforge.services.ledger.AuditLog;
import dev.lmforge.services.ledger.LedgerJson;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.services.ledger.UserStore.ApiToken;
import dev.lmforge.services.ledger.UserStore.NewToken;
import dev.lmforge.services.ledger.UserStore.Role;
import dev.lmforge.services.ledger.UserStore.User;
import dev.lmforge.web.problem.ProblemException;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;

/**
 * API tokens for the CLI and scripts: each user makes, lists and revokes their own (an admin anyone's). A new
 * token's secret is in the creation answer only.
 */
@Path("/api/tokens")
@Produces(MediaType.APPLICATION_JSON)
public class TokenResource {

    @Inject
    UserStore users;
    @Inject
    AuditLog audit;
    @Inject
    Caller caller;

    /** A token to make, named for where it is used ("laptop", "nightly job"). */
    public record TokenName(String name) {
    }

    /** One's own tokens; an admin may name another {@code user}. */
    @GET
    public List<ApiToken> list(@QueryParam("user") String user) {
        return users.tokens(owner(user));
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response create(TokenName body) {
        User user = caller.user();
        NewToken made;
        try {
            made = users.createToken(user.name(), body == null ? null : body.name());
        } catch (IllegalArgumentException e) {
            throw ProblemException.invalid(e);
        }
        audit.append(user.name(), "token.create", "token:" + made.token().id(), LedgerJson.toJson(Map.of("name", made.token().name())));
        return Response.status(201).entity(made).build();
    }

    /** Revokes a token: from now on it is refused with 401. Someone else's token is a 404 to a non-admin. */
    @DELETE
    @Path("{id}")
    public ApiToken revoke(@PathParam("id") long id) {
        User user = caller.user();
        ApiToken token = users.token(id).filter(t -> t.user().equals(user.name()) || user.role() == Role.ADMIN)
                .orElseThrow(() -> ProblemException.notFound("no token " + id));
        if (users.revokeToken(id)) {
            audit.append(user.name(), "token.revoke", "token:" + id, LedgerJson.toJson(Map.of("user", token.user())));
        }
        return users.token(id).orElseThrow();
    }

    private String owner(String requested) {
        User user = caller.user();
        if (requested == null || requested.equals(user.name())) {
            return user.name();
        }
        Permissions.requireRole(user, Role.ADMIN, "see another user's tokens");
        return requested;
    }
}
