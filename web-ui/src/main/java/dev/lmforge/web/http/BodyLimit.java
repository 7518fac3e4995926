package dev.lmforge.web.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.http.HttpHeaders;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * A request whose {@code Content-Length} exceeds {@code quarkus.http.limits.max-body-size} is answered here with
 * a 413 problem body, before anything reads it; Quarkus' own refusal further in is a 413 with an empty body.
 * The connection is closed afterwards, since the body that follows is never read. (A spec over its own, smaller
 * limit is refused as a 413 problem by the spec parser.)
 */
@ApplicationScoped
public class BodyLimit {

    /** After {@link SecurityHeaders}, so that the refusal carries its headers too. */
    private static final int PRIORITY = 900;

    @ConfigProperty(name = "quarkus.http.limits.max-body-size", defaultValue = "10240K")
    MemorySize maxBodySize;
    @Inject
    ObjectMapper json;

    void register(@Observes Filters filters) {
        filters.register(ctx -> {
            String length = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
            long bytes = length == null ? -1 : parse(length);
            if (bytes <= maxBodySize.asLongValue()) {
                ctx.next();
                return;
            }
            Map<String, Object> problem = new LinkedHashMap<>();
            problem.put("type", "about:blank");
            problem.put("title", "Content Too Large");
            problem.put("status", 413);
            problem.put("detail", "the request body is " + bytes + " bytes, more than the " + maxBodySize.asLongValue()
                    + " a request may have");
            problem.put("instance", ctx.normalizedPath());
            ctx.response().setStatusCode(413).putHeader(HttpHeaders.CONTENT_TYPE, "application/problem+json")
                    .putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE).end(write(problem))
                    .onComplete(sent -> ctx.request().connection().close());
        }, PRIORITY);
    }

    /** A length that is not a number is left to the HTTP server to refuse. */
    private static long parse(String length) {
        try {
            return Long.parseLong(length.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private String write(Map<String, Object> problem) {
        try {
            return json.writeValueAsString(problem);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of strings and numbers always serialises", e);
        }
    }
}
