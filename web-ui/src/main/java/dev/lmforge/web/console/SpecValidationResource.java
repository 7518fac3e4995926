package dev.lmforge.web.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lmforge.services.config.LmforgeSettings;
import dev.lmforge.services.ledger.RunStore;
import dev.lmforge.web.auth.Caller;
import dev.lmforge.web.problem.ProblemException;
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
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Checks a spec without submitting it, by the very rules {@code POST /api/runs} applies ({@link SpecParser} and
 * the caller's teams), so that the launch page can validate as the user types; and previews the plan its plan
 * stage would make, computed by a compute worker's planner (the console does not carry it). It also serves the
 * launch page's spec templates.
 */
@Path("/api/specs")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "specs", description = "Validate specs and preview plans before submitting")
public class SpecValidationResource {

    @Inject
    RunService runs;
    @Inject
    Caller caller;
    @Inject
    ControlPlane controlPlane;
    @Inject
    LmforgeSettings settings;
    @Inject
    RunStore runStore;

    /** How long the launch page waits for a compute worker to plan. */
    private static final Duration PREVIEW_TIMEOUT = Duration.ofSeconds(30);
    /** How many recent pretraining stages the wall-time estimate takes its throughput from. */
    private static final int THROUGHPUT_SAMPLES = 5;

    /** The launch page's templates, in the order it shows them; {@code demo} is {@code samples/demo.yaml} itself. */
    private static final List<String> TEMPLATES = List.of("demo", "small", "budget-only");

    /** A spec to start from: its name and YAML text. */
    public record Template(String name, String yaml) {
    }

    /** The outcome: valid, or each field at fault. */
    public record Validation(boolean valid, List<ProblemException.FieldError> errors) {
    }

    /** The bundled spec templates (classpath {@code spec-templates/NAME.yaml}). */
    @GET
    @Path("templates")
    @Operation(summary = "List spec templates", description = "The launch page's bundled spec templates (demo, "
            + "small, budget-only), each with its YAML text.")
    @APIResponse(responseCode = "200", description = "The templates, in the order the launch page shows them.")
    public List<Template> templates() {
        return TEMPLATES.stream().map(name -> {
            try (InputStream in = SpecValidationResource.class.getResourceAsStream("/spec-templates/" + name + ".yaml")) {
                if (in == null) {
                    throw new IllegalStateException("the build left out spec template " + name);
                }
                return new Template(name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).toList();
    }

    /** 200 with the outcome either way: an invalid spec is the answer here, not an error of the request. */
    @POST
    @Path("validate")
    @Consumes({"application/yaml", "application/x-yaml", "text/yaml", MediaType.APPLICATION_JSON, MediaType.TEXT_PLAIN})
    @Operation(summary = "Validate a spec", description = "Checks a spec by the very rules POST /api/runs applies "
            + "(fields and the caller's teams) without submitting it; an invalid spec is the answer here, not an error.")
    @RequestBody(description = "The lifecycle spec as YAML or JSON text.",
            required = true, content = @Content(schema = @Schema(implementation = String.class)))
    @APIResponse(responseCode = "200", description = "Valid, or each field at fault.")
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
     * schedule, memory, and a wall time at the throughput this platform's pretraining measured. 400 for an invalid spec (each field named), 503 when no compute worker answers in time.
     */
    @POST
    @Path("plan")
    @Consumes({"application/yaml", "application/x-yaml", "text/yaml", MediaType.APPLICATION_JSON, MediaType.TEXT_PLAIN})
    @Operation(summary = "Preview a spec's plan", description = "The plan the spec's plan stage would make with the "
            + "paper's laws, computed by a compute worker: model shape, tokens, batch, learning rate, schedule, memory, "
            + "and a wall time at the throughput this platform's pretraining measured (wallTime).")
    @RequestBody(description = "The lifecycle spec as YAML or JSON text; it needs compute.budget.",
            required = true, content = @Content(schema = @Schema(implementation = String.class)))
    @APIResponse(responseCode = "200", description = "The budget plan (the plan stage's BudgetPlan record) with wallTime.",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(type = SchemaType.OBJECT,
                    description = "The plan stage's BudgetPlan as JSON, plus wallTime {seconds, flopsPerSecond, basis}.")))
    @APIResponse(responseCode = "400", description = "The spec is invalid or has no compute budget; each field is named.")
    @APIResponse(responseCode = "403", description = "The spec names a team not the caller's.")
    @APIResponse(responseCode = "503", description = "No compute worker planned the spec within 30 s.")
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
            return withWallTime((ObjectNode) preview.preview(PlanStageConfig.of(checked), settings.cpuQueue()));
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

    /**
     * Adds {@code wallTime}: the plan's training FLOPs at the median training FLOP/s of the newest pretraining
     * stages here. Measured, not a datasheet peak; smaller models reach a lower rate, so it is a rough guide.
     */
    private ObjectNode withWallTime(ObjectNode plan) {
        List<Double> rates = runStore.recentStageFigures("pretrain", "modelFlopsPerSecond", THROUGHPUT_SAMPLES);
        ObjectNode wall = plan.putObject("wallTime");
        if (rates.isEmpty()) {
            wall.put("basis", "no pretraining has finished on this platform yet, so there is no measured throughput");
            return plan;
        }
        double rate = rates.stream().sorted().toList().get(rates.size() / 2);
        wall.put("seconds", plan.path("trainingFlops").asDouble() / rate);
        wall.put("flopsPerSecond", rate);
        wall.put("basis", "median training FLOP/s of the newest " + rates.size() + " pretraining stage(s) here");
        return plan;
    }
}
