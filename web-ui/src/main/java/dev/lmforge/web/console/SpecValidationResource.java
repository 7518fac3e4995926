package dev.lmforge.web.console;

import dev.lmforge.web.api.ProblemException;
import dev.lmforge.web.auth.Caller;
import dev.lmforge.web.runs.RunService;
import dev.lmforge.web.runs.SpecParser;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

/**
 * Checks a spec without submitting it, by the very rules {@code POST /api/runs} applies ({@link SpecParser} and
 * the caller's teams), so that the launch page can validate as the user types.
 */
@Path("/api/specs")
@Produces(MediaType.APPLICATION_JSON)
public class SpecValidationResource {

    @Inject
    RunService runs;
    @Inject
    Caller caller;

    /** The outcome: valid, or each field at fault. */
    public record Validation(boolean valid, List<ProblemException.FieldError> errors) {
    }

    /** 200 with the outcome either way: an invalid spec is the answer here, not an error of the request. */
    @POST
    @Path("validate")
    @Consumes({"application/yaml", "application/x-yaml", "text/yaml", MediaType.APPLICATION_JSON, MediaType.TEXT_PLAIN})
    public Validation validate(String spec) {
        try {
            runs.checkedSpec(spec, caller.user());
            return new Validation(true, List.of());
        } catch (ProblemException e) {
            return new Validation(false, e.errors());
        }
    }
}
