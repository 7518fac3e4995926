package dev.lmforge.web.console;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lmforge.services.config.LmforgeSettings;
import dev.lmforge.web.api.ProblemException;
import dev.lmforge.web.auth.Caller;
import dev.lmforge.web.runs.RunService;
import dev.lmforge.web.runs.SpecParser;
import dev.lmforge.web.temporal.ControlPlane;
import dev.lmforge.workflows.plan.PlanPreviewWorkflow;
import dev.lmforge.workflows.spec.LifecycleSpec;
import dev.lmforge.workflows.stage.PlanStageConfig;
import dev.lmforge.workflows.stage.StageFailures;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.failure.ApplicationFailure;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * Checks a spec without submitting it, by the very rules {@code POST /api/runs} applies ({@link SpecParser} and
 * the caller's teams), so that the launch page can validate as the user types; and previews the plan its plan
 * stage would make, computed by a compute worker's planner (the console does not carry it).
 */
@Path("/api/specs")
@Produces(MediaType.APPLICATION_JSON)
public class SpecValidationResource {

    @Inject
    RunService runs;
    @Inject
    Caller caller;
    @Inject
    ControlPlane controlPlane;
    @Inject
    LmforgeSettings settings;

    /** How long the launch page waits for a compute worker to plan. */
    private static final Duration PREVIEW_TIMEOUT = Duration.ofSeconds(30);

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

    /**
     * The plan the spec's plan stage would make with the paper's laws: model shape, tokens, batch, learning rate,
     * schedule, memory. 400 for an invalid spec (each field named), 503 when no compute worker answers in time.
     */
    @POST
    @Path("plan")
    @Consumes({"application/yaml", "application/x-yaml", "text/yaml", MediaType.APPLICATION_JSON, MediaType.TEXT_PLAIN})
    public JsonNode plan(String spec) {
        LifecycleSpec checked = runs.checkedSpec(spec, caller.user());
        if (checked.compute() == null) {
            throw new ProblemException(400, "Bad Request", "the spec has no compute budget to plan from",
                    List.of(new ProblemException.FieldError("compute.budget", "required for a plan preview")));
        }
        PlanPreviewWorkflow preview = controlPlane.client().newWorkflowStub(PlanPreviewWorkflow.class,
                WorkflowOptions.newBuilder()
                        .setWorkflowId("plan-preview-" + UUID.randomUUID())
                        .setTaskQueue(settings.controlQueue())
                        .setWorkflowExecutionTimeout(PREVIEW_TIMEOUT)
                        .build());
        try {
            return preview.preview(PlanStageConfig.of(checked), settings.cpuQueue());
        } catch (WorkflowFailedException e) {
            Throwable cause = e;
            while (cause.getCause() != null) {
                cause = cause.getCause();
            }
            if (cause instanceof ApplicationFailure app && StageFailures.INVALID_INPUT.equals(app.getType())) {
                throw ProblemException.invalid(new IllegalArgumentException(app.getOriginalMessage()));
            }
            throw new ProblemException(503, "Service Unavailable", "no compute worker planned the spec within "
                    + PREVIEW_TIMEOUT.toSeconds() + " s: " + cause.getMessage());
        }
    }
}
