package dev.lmforge.web.auth;

import dev.lmforge.services.artifacts.Digests;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.services.ledger.UserStore.User;
import dev.lmforge.web.problem.ProblemException;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Cookie;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Set;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Authenticates every {@code /api} request but the log-in, and every {@code /v1} one (the OpenAI-compatible
 * API): with {@code Authorization: Bearer TOKEN} (the CLI, scripts, OpenAI's clients), or with the console's
 * session cookie. A cookie is sent by the browser on its own, so a mutating
 * request that relies on it must also carry the session's CSRF token in {@value #CSRF_HEADER}, which only the
 * console's own pages can read; a Bearer token is never sent on its own, so it needs none. Health, metrics,
 * OpenAPI and the static pages are not JAX-RS resources and stay open (the pages hold no data).
 */
public class CredentialFilter {

    static final String SESSION_COOKIE = "lmforge_session";
    static final String CSRF_HEADER = "X-CSRF-Token";
    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");

    @Inject
    UserStore users;
    @Inject
    Caller caller;

    @ServerRequestFilter
    public void authenticate(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!(path.startsWith("/api/") || path.startsWith("/v1/")) || path.equals(SessionResource.LOGIN_PATH)) {
            return;
        }
        String authorization = request.getHeaderString("Authorization");
        if (authorization != null) {
            if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
                throw ProblemException.unauthorized("Authorization: only 'Bearer TOKEN' is accepted");
            }
            User user = users.userOfToken(authorization.substring(7).strip())
                    .orElseThrow(() -> ProblemException.unauthorized("Authorization: the API token is unknown or revoked, or its user is disabled"));
            caller.signedIn(user, null);
            return;
        }
        Cookie cookie = request.getCookies().get(SESSION_COOKIE);
        if (cookie == null) {
            throw ProblemException.unauthorized("sign in at /login.html, or send 'Authorization: Bearer TOKEN'");
        }
        User user = users.userOfSession(cookie.getValue())
                .orElseThrow(() -> ProblemException.unauthorized("the session has expired or was closed, or its user is "
                        + "disabled; sign in again"));
        // Known before the CSRF check, so that its refusal is audited under the user whose browser sent it.
        caller.signedIn(user, cookie.getValue());
        if (!SAFE_METHODS.contains(request.getMethod()) && !matches(csrfToken(cookie.getValue()), request.getHeaderString(CSRF_HEADER))) {
            throw ProblemException.forbidden(CSRF_HEADER + ": missing or wrong; a signed-in page sends the token that "
                    + "GET /api/session gives it");
        }
    }

    /** A session's CSRF token: derived from the session cookie, so only a page that can ask the server knows it. */
    static String csrfToken(String session) {
        return Digests.sha256("lmforge-csrf:" + session);
    }

    private static boolean matches(String expected, String given) {
        return given != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
    }
}
