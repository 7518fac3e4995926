package dev.lmforge.web.auth;

import dev.lmforge.services.ledger.AuditLog;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.services.ledger.UserStore.User;
import dev.lmforge.web.auth.PasswordCheck.Purpose;
import dev.lmforge.web.problem.ProblemException;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.NewCookie;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.time.Duration;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The console's session: sign in with user and password (a session cookie, HttpOnly and SameSite=Strict;
 * repeated failures are locked out by {@link PasswordCheck}), who is signed in (with the CSRF token the pages
 * send back), sign out.
 */
@Path("/api/session")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "users")
public class SessionResource {

    static final String LOGIN_PATH = "/api/session/login";
    static final Duration LIFETIME = Duration.ofHours(12);

    @Inject
    UserStore users;
    @Inject
    AuditLog audit;
    @Inject
    Caller caller;
    @Inject
    PasswordCheck passwords;
    @Context
    UriInfo uri;
    @Context
    HttpServerRequest request;

    /** What signs in. */
    public record Credentials(String user, String password) {
    }

    /** Who is signed in; {@code csrfToken} only for a session (a token needs none). */
    public record SessionView(String user, String role, List<String> teams, String csrfToken) {
    }

    /**
     * Signs in. JSON only: a cross-site HTML form cannot send it without the browser asking first, so no other
     * site can sign a visitor in as someone else.
     */
    @POST
    @Path("login")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Sign in", description = "Checks user and password and sets the session cookie (HttpOnly, "
            + "SameSite=Strict, 12 hours); the answer carries the CSRF token that the session's changing requests send "
            + "as X-CSRF-Token. Repeated failures for a user name or from an address are locked out for a while.")
    @APIResponse(responseCode = "200", description = "Signed in: who, their role and teams, and the CSRF token.",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = SessionView.class)))
    @APIResponse(responseCode = "400", description = "user or password is missing.")
    @APIResponse(responseCode = "401", description = "The user or password is wrong, or the user is disabled.")
    @APIResponse(responseCode = "429", description = "Too many failed sign-ins for this user or address; Retry-After says when to try again.")
    public Response login(Credentials credentials) {
        if (credentials == null || credentials.user() == null || credentials.password() == null) {
            throw ProblemException.badRequest("user and password are required");
        }
        User user = passwords.verify(credentials.user(), credentials.password(), PasswordCheck.clientOf(request), Purpose.SIGN_IN)
                .orElseThrow(() -> ProblemException.unauthorized("user or password is wrong, or the user is disabled"));
        String session = users.openSession(user.id(), LIFETIME);
        audit.append(user.name(), "session.login", "user:" + user.name(), "{}");
        return Response.ok(view(user, session)).cookie(cookie(session, (int) LIFETIME.toSeconds())).build();
    }

    @GET
    @Operation(summary = "Who is signed in", description = "The caller (by session or API token): name, role, teams, "
            + "and for a session its CSRF token (a token needs none).")
    @APIResponse(responseCode = "200", description = "The caller.")
    public SessionView current() {
        return view(caller.user(), caller.session());
    }

    @POST
    @Path("logout")
    @Operation(summary = "Sign out", description = "Closes the caller's session and clears its cookie (nothing to "
            + "close for an API token).")
    @APIResponse(responseCode = "204", description = "Signed out.")
    public Response logout() {
        User user = caller.user();
        if (caller.session() != null) {
            users.closeSession(caller.session());
            audit.append(user.name(), "session.logout", "user:" + user.name(), "{}");
        }
        return Response.noContent().cookie(cookie("", 0)).build();
    }

    private static SessionView view(User user, String session) {
        return new SessionView(user.name(), user.role().id(), user.teams(),
                session == null ? null : CredentialFilter.csrfToken(session));
    }

    private NewCookie cookie(String value, int maxAgeSeconds) {
        return new NewCookie.Builder(CredentialFilter.SESSION_COOKIE).value(value).path("/").maxAge(maxAgeSeconds)
                .httpOnly(true).sameSite(NewCookie.SameSite.STRICT)
                .secure("https".equals(uri.getRequestUri().getScheme())).build();
    }
}
