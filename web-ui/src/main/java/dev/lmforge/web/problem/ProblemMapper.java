package dev.lmforge.web.problem;

import dev.lmforge.services.artifacts.ArtifactNotFoundException;
import dev.lmforge.services.artifacts.CorruptArtifactException;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Request;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Every error of the API as an {@code application/problem+json} body with a status that fits; every 403 is also
 * written to the audit log.
 */
@Provider
public class ProblemMapper implements ExceptionMapper<Throwable> {

    public static final MediaType PROBLEM_JSON = new MediaType("application", "problem+json");
    private static final Logger LOG = Logger.getLogger(ProblemMapper.class);

    @Context
    UriInfo uri;
    @Context
    Request request;
    @Inject
    Event<Refusal> refusals;

    @Override
    public Response toResponse(Throwable e) {
        if (e instanceof ProblemException p) {
            Response r = problem(p.status(), p.title(), p.getMessage(), p.errors());
            if (p.retryAfterSeconds() > 0) {
                return Response.fromResponse(r).header("Retry-After", p.retryAfterSeconds()).build();
            }
            // RFC 9110: a 401 names the scheme that would be accepted.
            return p.status() == 401 ? Response.fromResponse(r).header("WWW-Authenticate", "Bearer realm=\"lmforge\"").build() : r;
        }
        if (e instanceof ArtifactNotFoundException) {
            return problem(404, "Not Found", e.getMessage(), List.of());
        }
        if (e instanceof CorruptArtifactException) {
            LOG.error(e.getMessage());
            return problem(500, "Corrupt Artifact", e.getMessage(), List.of());
        }
        if (e instanceof WebApplicationException w) {
            int status = w.getResponse().getStatus();
            return problem(status, Response.Status.fromStatusCode(status) != null
                    ? Response.Status.fromStatusCode(status).getReasonPhrase() : "Error", e.getMessage(), List.of());
        }
        // The message of an unexpected error may quote SQL or the content of a file: it goes to the log only.
        LOG.error("unexpected error serving " + (uri != null ? uri.getPath() : "a request"), e);
        return problem(500, "Internal Server Error", "an unexpected error; the server log has the details", List.of());
    }

    private Response problem(int status, String title, String detail, List<ProblemException.FieldError> errors) {
        if (status == 403 && uri != null) {
            refusals.fire(new Refusal(request.getMethod(), uri.getPath(), detail));
        }
        return problem(status, title, detail, errors, uri);
    }

    /**
     * The problem body itself, not audited: for mappers of single exception types and answers made by hand (never
     * a 403).
     */
    public static Response problem(int status, String title, String detail, List<ProblemException.FieldError> errors, UriInfo uri) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "about:blank");
        body.put("title", title);
        body.put("status", status);
        body.put("detail", detail);
        if (uri != null) {
            body.put("instance", uri.getPath());
        }
        if (!errors.isEmpty()) {
            body.put("errors", errors);
        }
        return Response.status(status).type(PROBLEM_JSON).entity(body).build();
    }
}
