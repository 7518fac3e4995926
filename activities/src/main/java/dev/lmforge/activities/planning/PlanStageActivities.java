package dev.lmforge.activities.planning;

import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.StageContext;
import dev.lmforge.activities.StageRuntime;
import dev.lmforge.activities.model.BudgetPlan;
import dev.lmforge.activities.model.ScalingLaws;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.Outputs;
import dev.lmforge.workflows.stage.PlanStage;
import dev.lmforge.workflows.stage.PlanStageConfig;
import dev.lmforge.workflows.stage.StageInput;
import dev.lmforge.workflows.stage.StageOutput;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The plan stage on a compute worker: {@link BudgetPlanner} over the spec's budget, with the laws of the
 * {@value Outputs#SCALING_FIT} input when the stage ran a sweep (the paper's otherwise); see
 * {@link PlanStage}.
 */
public final class PlanStageActivities implements PlanStage {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final StageRuntime runtime;

    public PlanStageActivities(StageRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public StageOutput plan(StageInput input) {
        PlanStageConfig config = JSON.convertValue(input.config(), PlanStageConfig.class);
        return StageContext.run(runtime, input, Void.class, context -> {
            ArtifactRef fitRef = input.inputs().get(Outputs.SCALING_FIT);
            ScalingFit fit = fitRef == null ? null
                    : ScalingFit.read(context.artifacts().readAllBytes(fitRef.digest()));
            BudgetPlan plan = plan(config, fit == null ? null : fit.laws());
            ArtifactRef ref = context.putArtifact(JSON.writeValueAsBytes(plan), "plan",
                    Map.of("compute", plan.compute(), "steps", plan.steps()));
            Map<String, ArtifactRef> outputs = new LinkedHashMap<>();
            outputs.put(Outputs.PLAN, ref);
            Map<String, Double> summary = new LinkedHashMap<>();
            summary.put("compute", plan.compute());
            summary.put("modelScale", plan.model().modelScale());
            summary.put("tokens", (double) plan.tokens());
            summary.put("batchTokens", (double) plan.batchTokens());
            summary.put("learningRate", plan.learningRate());
            summary.put("steps", (double) plan.steps());
            if (fit != null) {
                // Handed on, so that pretraining can score the fit's predicted loss against its own.
                outputs.put(Outputs.SCALING_FIT, fitRef);
                summary.putAll(fit.summary());
            }
            return new StageOutput(outputs, summary);
        });
    }

    /** The plan for the stage's config under {@code laws} (the paper's when null); bad values name their field. */
    static BudgetPlan plan(PlanStageConfig config, ScalingLaws laws) {
        try {
            return BudgetPlanner.plan(new BudgetRequest(config.compute().budget(), config.compute().tokens(),
                    config.options() == null ? null : config.options().seqLen(),
                    config.options() == null ? null : config.options().vocab(), laws, null));
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("compute/plan: " + e.getMessage());
        }
    }
}
