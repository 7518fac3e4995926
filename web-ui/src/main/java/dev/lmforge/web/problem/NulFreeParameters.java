package dev.lmforge.web.problem;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.MultivaluedMap;
import java.util.List;
import java.util.Map;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Refuses a NUL character in any path or query parameter of an API request (a {@code %00}) with a 400 naming
 * the parameter, for the reason {@link NulFreeStrings} gives for bodies: PostgreSQL cannot take it.
 */
public class NulFreeParameters {

    @ServerRequestFilter
    public void refuseNul(ContainerRequestContext request) {
        check(request.getUriInfo().getPathParameters());
        check(request.getUriInfo().getQueryParameters());
    }

    private static void check(MultivaluedMap<String, String> parameters) {
        for (Map.Entry<String, List<String>> p : parameters.entrySet()) {
            if (p.getKey().indexOf('\0') >= 0 || p.getValue().stream().anyMatch(v -> v != null && v.indexOf('\0') >= 0)) {
                String name = p.getKey().replace("\0", "");
                throw new ProblemException(400, "Bad Request", name + ": " + NulFreeStrings.MESSAGE,
                        List.of(new ProblemException.FieldError(name, NulFreeStrings.MESSAGE)));
            }
        }
    }
}
