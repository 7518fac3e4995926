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
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * API tokens for the CLI and scripts: each user makes, lists and revokes their own (an admin anyone's). A new
 * token's secret is in the creation answer only.
 */
@Path("/api/tokens")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "users")
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
    @Operation(summary = "List API tokens", description = "The caller's API tokens (never their secrets); an admin "
            + "may name another user.")
    @APIResponse(responseCode = "200", description = "The tokens, revoked ones included.")
    @APIResponse(responseCode = "403", description = "A non-admin named another user.")
    public List<ApiToken> list(@Parameter(description = "Whose tokens (admins only); default the caller.")
                               @QueryParam("user") String user) {
        return users.tokens(owner(user));
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Make an API token", description = "A new token of the caller's, named for where it is used; "
            + "its secret is in this answer only (send it as 'Authorization: Bearer SECRET'); audited.")
    @APIResponse(responseCode = "201", description = "The token and its secret.",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = NewToken.class)))
    @APIResponse(responseCode = "400", description = "The name is missing or refused.")
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
    @Operation(summary = "Revoke an API token", description = "From now on the token is refused with 401; audited. "
            + "One's own tokens, or anyone's for an admin.")
    @APIResponse(responseCode = "200", description = "The token, now revoked.")
    @APIResponse(responseCode = "404", description = "No such token, or someone else's (to a non-admin).")
    public ApiToken revoke(@Parameter(description = "The token's id (from GET /api/tokens).") @PathParam("id") long id) {
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
