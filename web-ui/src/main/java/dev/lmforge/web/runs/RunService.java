package dev.lmforge.web.runs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.services.config.LmforgeSettings;
import dev.lmforge.services.ledger.AuditLog;
import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.LedgerJson;
import dev.lmforge.services.ledger.Records.NewRun;
import dev.lmforge.services.ledger.Records.Page;
import dev.lmforge.services.ledger.Records.RunRecord;
import dev.lmforge.services.ledger.Records.RunSummary;
import dev.lmforge.services.ledger.Records.StageRecord;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.services.ledger.UserStore.Role;
import dev.lmforge.services.ledger.UserStore.User;
import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.ledger.Records.CheckpointRecord;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lmforge.services.sources.SourceRefusedException;
import dev.lmforge.services.sources.SourceRoots;
import dev.lmforge.web.auth.Permissions;
import dev.lmforge.web.problem.ProblemException;
import dev.lmforge.web.temporal.ControlPlane;
import dev.lmforge.workflows.LifecycleInput;
import dev.lmforge.workflows.LifecycleWorkflow;
import dev.lmforge.workflows.spec.LifecycleSpec;
import dev.lmforge.workflows.stage.Outputs;
import dev.lmforge.workflows.stage.Stage;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Submitting, resuming, pausing and cancelling runs: the ledger first, then Temporal, each step audited with the
 * user who took it. Every call names its user and is checked against {@link Permissions}.
 */
@ApplicationScoped
public class RunService {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Set<String> RESUMABLE = Set.of("INTERRUPTED", "FAILED", "CANCELLED");

    @Inject
    Ledger ledger;
    @Inject
    AuditLog audit;
    @Inject
    ControlPlane controlPlane;
    @Inject
    LmforgeSettings settings;
    @Inject
    UserStore users;
    @Inject
    SourceRoots sources;
    @Inject
    ArtifactStore store;

    /**
     * Validates and starts a spec as {@code user} (an operator or admin), in the spec's team or else the user's
     * first; a bad spec, or a team not the user's, is refused before anything is stored.
     */
    public RunRecord submit(String specText, User user) {
        Permissions.requireRole(user, Role.OPERATOR, "submit runs");
        LifecycleSpec spec = checkedSpec(specText, user);
        return start(spec, specText, null, user.name());
    }

    /**
     * The spec as it would run for {@code user}: valid (400 naming each field), in a team of theirs (403 naming
     * {@code team}), reading only inside the source roots (shared and the team's own), an evaluation suite's
     * task and data files included, and extending only a checkpoint its team can see
     * (400 naming the field and the rule).
     */
    public LifecycleSpec checkedSpec(String specText, User user) {
        LifecycleSpec s = SpecParser.parse(specText);
        String team = Permissions.teamFor(user, s.team(), users.teams());
        List<ProblemException.FieldError> refused = new ArrayList<>();
        SourceRoots roots = team == null ? sources : sources.plus(users.sourceRoots(team));
        for (LifecycleSpec.SourcePath source : s.sourcePaths()) {
            try {
                roots.checkSpelled(source.field(), source.path());
                if (source.field().startsWith("evaluation.suites[")) {
                    SuiteFiles.check(source.field(), source.path(), roots);
                }
            } catch (SourceRefusedException e) {
                refused.add(new ProblemException.FieldError(e.field(), e.rule()));
            }
        }
        String extendFrom = s.training() != null ? s.training().extendFrom() : null;
        if (extendFrom != null && user.role() != Role.ADMIN && !users.teamsUsingArtifact(extendFrom).contains(team)) {
            refused.add(new ProblemException.FieldError("training.extendFrom",
                    "no run of the submitting team produced or used this checkpoint"));
        }
        if (!refused.isEmpty()) {
            throw SpecParser.invalid(refused);
        }
        return new LifecycleSpec(s.name(), team, s.stages(), s.corpus(), s.data(), s.compute(), s.tokenizer(), s.plan(),
                s.model(), s.training(), s.evaluation(), s.sft(), s.dpo());
    }

    /** Summaries of the runs {@code user} may see, newest first: every run for an admin, else those of their teams. */
    public Page<RunSummary> list(User user, String status, String namePrefix, int limit, int offset) {
        return ledger.runs().runSummaries(status, namePrefix, user.role() == Role.ADMIN ? null : user.teams(), limit, offset);
    }

    private RunRecord start(LifecycleSpec spec, String specText, String resumedFrom, String actor) {
        String name = spec.name() != null ? spec.name() : "lifecycle";
        return start(spec, specText, resumedFrom, actor, resumedFrom == null ? "run.submit" : "run.resume",
                resumedFrom == null ? Map.of("name", name) : Map.of("name", name, "resumedFrom", resumedFrom));
    }

    private RunRecord start(LifecycleSpec spec, String specText, String resumedFrom, String actor, String action,
                            Map<String, String> audited) {
        String id = "run-" + ZonedDateTime.now(ZoneOffset.UTC).format(ID_TIME) + "-" + HexFormat.of().formatHex(randomBytes());
        String name = spec.name() != null ? spec.name() : "lifecycle";
        ledger.runs().createRun(new NewRun(id, name, spec.team(), actor, SpecParser.toJson(spec), specText,
                spec.stageList().stream().map(Stage::id).toList(), resumedFrom));
        // Audited before the workflow starts, so the request always precedes the run.running its workflow audits.
        audit.append(actor, action, id, LedgerJson.toJson(audited));
        WorkflowClient client = controlPlane.client();
        String workflowId = "lifecycle-" + id;
        try {
            LifecycleWorkflow workflow = client.newWorkflowStub(LifecycleWorkflow.class, WorkflowOptions.newBuilder()
                    .setWorkflowId(workflowId).setTaskQueue(settings.controlQueue()).build());
            WorkflowExecution execution = WorkflowClient.start(workflow::run,
                    new LifecycleInput(id, spec, settings.cpuQueue(), settings.gpuQueue()));
            ledger.runs().setWorkflowIds(id, workflowId, execution.getRunId());
        } catch (RuntimeException e) {
            ledger.runs().deleteUnstartedRun(id);
            audit.append("system", "run.unstarted", id, LedgerJson.toJson(Map.of("error", String.valueOf(e.getMessage()))));
            throw new ProblemException(503, "Service Unavailable", "could not start the run's workflow: " + e.getMessage());
        }
        return ledger.runs().run(id).orElseThrow();
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[3];
        RANDOM.nextBytes(b);
        return b;
    }

    /**
     * Resumes a run. A paused run goes on in place. An interrupted, failed or cancelled one starts a new run
     * linked to it; every stage whose cache key has a completed record is reused, the rest run. With
     * {@code dryRun}, only says what would happen.
     */
    public ResumePlan resume(String runId, boolean dryRun, User user) {
        RunRecord run = require(runId, user);
        if (!dryRun) {
            Permissions.requireRole(user, Role.OPERATOR, "resume runs");
        }
        String actor = user.name();
        LifecycleSpec spec = specOf(run);
        if (run.status().equals("PAUSED")) {
            List<ResumePlan.StagePlan> stages = new ArrayList<>();
            for (Stage s : spec.stageList()) {
                stages.add(new ResumePlan.StagePlan(s.id(), "continue", "the paused run goes on in place"));
            }
            if (!dryRun) {
                controlPlane.client().newWorkflowStub(LifecycleWorkflow.class, run.workflowId()).resume();
                audit.append(actor, "run.unpause", runId, "{}");
            }
            return new ResumePlan(runId, null, dryRun, stages);
        }
        if (!RESUMABLE.contains(run.status())) {
            throw ProblemException.conflict("run " + runId + " is " + run.status()
                    + "; only a paused, interrupted, failed or cancelled run can be resumed");
        }
        List<ResumePlan.StagePlan> stages = previewReuse(run, spec);
        if (dryRun) {
            return new ResumePlan(null, runId, true, stages);
        }
        RunRecord resumed = start(spec, run.specSource(), runId, actor);
        return new ResumePlan(resumed.id(), runId, false, stages);
    }

    /**
     * Which stages a resume reuses: each completed stage of the old run up to the first that did not complete.
     * From there on stages run again; one may still be reused if its inputs come out identical (same cache key).
     */
    private List<ResumePlan.StagePlan> previewReuse(RunRecord run, LifecycleSpec spec) {
        Map<String, StageRecord> newest = new LinkedHashMap<>();
        ledger.runs().stages(run.id()).forEach(s -> newest.put(s.stage(), s));
        List<ResumePlan.StagePlan> plan = new ArrayList<>();
        boolean rerunning = false;
        for (Stage stage : spec.stageList()) {
            StageRecord row = newest.get(stage.id());
            boolean completed = row != null && (row.status().equals("SUCCEEDED") || row.status().equals("REUSED"));
            if (!rerunning && completed && ledger.runs().succeededStageWithKey(row.cacheKey()).isPresent()) {
                plan.add(new ResumePlan.StagePlan(stage.id(), "reuse", "completed as stage row " + row.id()
                        + "; its outputs are reused"));
            } else {
                String why = rerunning ? "an earlier stage runs again; reused only if its inputs come out the same"
                        : row == null ? "never started" : "ended " + row.status();
                plan.add(new ResumePlan.StagePlan(stage.id(), "run", why));
                rerunning = true;
            }
        }
        return plan;
    }

    /**
     * Extends a finished pretraining to {@code budget} FLOPs (the paper's continual training): a new run with the
     * old spec, the budget raised and {@code training.extendFrom} set to the old pretraining's boundary checkpoint,
     * so that it resumes at the multi-step schedule's first drop with the same model and batch. With
     * {@code dryRun}, only says what it would train. 409 for a run without a succeeded pretrain stage (or without
     * a boundary checkpoint); 400 naming {@code budget} for one not above the current budget, or too small to
     * train past the checkpoint.
     */
    public ExtendPlan extend(String runId, Double budget, boolean dryRun, User user) {
        RunRecord run = require(runId, user);
        if (!dryRun) {
            Permissions.requireRole(user, Role.OPERATOR, "extend runs");
        }
        LifecycleSpec spec = specOf(run);
        Map<String, StageRecord> newest = new LinkedHashMap<>();
        ledger.runs().stages(runId).forEach(s -> newest.put(s.stage(), s));
        StageRecord pretrain = newest.get("pretrain");
        StageRecord plan = newest.get("plan");
        if (pretrain == null || plan == null || !Set.of("SUCCEEDED", "REUSED").contains(pretrain.status())) {
            throw ProblemException.conflict("run " + runId + " has no finished pretrain stage to extend");
        }
        String checkpoint = pretrain.outputs().get(Outputs.BOUNDARY_CHECKPOINT);
        Optional<CheckpointRecord> boundary = ledger.artifacts().checkpoints(pretrain.cacheKey()).stream()
                .filter(c -> c.digest().equals(checkpoint)).findFirst();
        if (checkpoint == null || boundary.isEmpty()) {
            throw ProblemException.conflict("run " + runId + "'s pretraining kept no checkpoint at the multi-step "
                    + "boundary (a cosine schedule has none), so there is nothing to continue from");
        }
        double current = spec.compute().budget();
        if (budget == null || !Double.isFinite(budget) || budget <= current) {
            throw budgetRefused("must be a number of FLOPs above the run's compute.budget of " + current);
        }
        JsonNode planned = readJson(new String(store.readAllBytes(plan.outputs().get(Outputs.PLAN)), StandardCharsets.UTF_8));
        JsonNode shape = planned.path("model").path("shape");
        double modelScale = planned.path("model").path("modelScale").asDouble();
        int batchSequences = planned.path("batchSequences").asInt();
        long batchTokens = (long) batchSequences * shape.path("seqLen").asInt();
        // As the pretrain stage's TrainingJob.extended counts them (the console does not carry the planner).
        long steps = (long) Math.ceil(budget / modelScale / batchTokens);
        long reused = boundary.get().step();
        if (steps <= reused) {
            throw budgetRefused("buys " + steps + " steps of this model, not more than the " + reused
                    + " the boundary checkpoint holds");
        }
        long previousSteps = Math.round(LedgerJson.summaryOf(pretrain.summary()).getOrDefault("steps", 0.0));
        LifecycleSpec.TrainingOptions t = spec.training() != null ? spec.training()
                : new LifecycleSpec.TrainingOptions(null, null, null, null, null, null, null, null, null);
        LifecycleSpec extended = new LifecycleSpec(spec.name(), spec.team(), spec.stages(), spec.corpus(),
                spec.data(), new LifecycleSpec.Compute(budget, spec.compute().tokens()), spec.tokenizer(),
                spec.plan(), spec.model(), new LifecycleSpec.TrainingOptions(t.seed(), t.schedule(), t.precision(),
                t.microBatchSequences(), t.threads(), t.checkpointMinutes(), t.checkpointSteps(),
                t.keepCheckpoints(), checkpoint), spec.evaluation(), spec.sft(), spec.dpo());
        // The same checks as a submitted spec, dry run or not: fields, team, source roots, the checkpoint's reach.
        String text = SpecParser.toJson(extended);
        LifecycleSpec checked = checkedSpec(text, user);
        String newRunId = dryRun ? null : start(checked, text, null, user.name(), "run.extend", Map.of("name",
                checked.name() != null ? checked.name() : "lifecycle", "extends", runId, "checkpoint", checkpoint,
                "budget", String.valueOf(budget))).id();
        long tokens = steps * batchTokens;
        return new ExtendPlan(newRunId, runId, dryRun, current, budget, shape, modelScale, batchSequences, batchTokens,
                checkpoint, reused, previousSteps, steps, steps - reused, tokens, modelScale * tokens,
                modelScale * (steps - reused) * batchTokens);
    }

    private static ProblemException budgetRefused(String rule) {
        return new ProblemException(400, "Bad Request", "budget " + rule,
                List.of(new ProblemException.FieldError("budget", rule)));
    }

    /** Asks the run to pause before its next stage. */
    public void pause(String runId, User user) {
        RunRecord run = require(runId, user);
        Permissions.requireRole(user, Role.OPERATOR, "pause runs");
        if (!run.status().equals("RUNNING")) {
            throw ProblemException.conflict("run " + runId + " is " + run.status() + "; only a running run can be paused");
        }
        controlPlane.client().newWorkflowStub(LifecycleWorkflow.class, run.workflowId()).pause();
        audit.append(user.name(), "run.pause", runId, "{}");
    }

    /** Cancels the run's running stage and every later one. */
    public void cancel(String runId, User user) {
        RunRecord run = require(runId, user);
        Permissions.requireRole(user, Role.OPERATOR, "cancel runs");
        if (!Set.of("RUNNING", "PAUSED", "QUEUED").contains(run.status())) {
            throw ProblemException.conflict("run " + runId + " is " + run.status() + "; it is not going, so it cannot be cancelled");
        }
        controlPlane.client().newWorkflowStub(LifecycleWorkflow.class, run.workflowId()).cancel("cancelled by " + user.name());
        audit.append(user.name(), "run.cancel", runId, "{}");
    }

    /** The run with each planned stage's newest execution. */
    public RunView view(String runId, User user) {
        RunRecord run = require(runId, user);
        LifecycleSpec spec = specOf(run);
        Map<String, StageRecord> newest = new LinkedHashMap<>();
        ledger.runs().stages(runId).forEach(s -> newest.put(s.stage(), s));
        List<RunView.StageView> stages = new ArrayList<>();
        for (Stage stage : spec.stageList()) {
            StageRecord s = newest.get(stage.id());
            stages.add(s == null
                    ? new RunView.StageView(stage.id(), "PENDING", null, null, null, null, null, null, Map.of(), Map.of(), Map.of(), List.of(),
                    false)
                    : new RunView.StageView(stage.id(), s.status(), s.id(), s.cacheKey(), s.reusedFrom(), s.error(),
                    s.startedAt(), s.endedAt(), s.inputs(), s.outputs(), LedgerJson.summaryOf(s.summary()), s.attempts(),
                    s.waitingForSlot()));
        }
        List<String> outputs = stages.stream().flatMap(s -> s.outputs().values().stream()).distinct().toList();
        return new RunView(run.id(), run.name(), run.team(), run.owner(), run.status(), run.error(), run.resumedFrom(),
                run.workflowId(), run.createdAt(), run.startedAt(), run.endedAt(), readJson(run.spec()), stages,
                ledger.metrics().metricSummaries(runId), ledger.artifacts().deletedAmong(outputs));
    }

    /** The run if {@code user} may see it; a run of another team is as missing as one that never was (404). */
    public RunRecord require(String runId, User user) {
        return ledger.runs().run(runId).filter(r -> Permissions.canSee(user, r.team()))
                .orElseThrow(() -> ProblemException.notFound("no run " + runId));
    }

    private static LifecycleSpec specOf(RunRecord run) {
        try {
            return JSON.readValue(run.spec(), LifecycleSpec.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("run " + run.id() + " has a spec the ledger cannot read back: " + e.getMessage(), e);
        }
    }

    private static JsonNode readJson(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("ledger holds invalid JSON: " + e.getMessage(), e);
        }
    }
}
