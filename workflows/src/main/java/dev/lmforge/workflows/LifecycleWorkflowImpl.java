package dev.lmforge.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.workflows.data.DataWorkflow;
import dev.lmforge.workflows.data.DataWorkflowInput;
import dev.lmforge.workflows.ledger.LedgerActivities;
import dev.lmforge.workflows.ledger.StageStart;
import dev.lmforge.workflows.spec.LifecycleSpec;
import dev.lmforge.workflows.stage.AlignStage;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.DataStage;
import dev.lmforge.workflows.stage.DataStageConfig;
import dev.lmforge.workflows.stage.Outputs;
import dev.lmforge.workflows.stage.RawDump;
import dev.lmforge.workflows.stage.Stage;
import dev.lmforge.workflows.stage.StageFailures;
import dev.lmforge.workflows.stage.StageInput;
import dev.lmforge.workflows.stage.StageOutput;
import dev.lmforge.workflows.sweep.ScalingSweepWorkflow;
import dev.lmforge.workflows.sweep.SweepInput;
import dev.lmforge.workflows.sweep.SweepOptions;
import dev.lmforge.workflows.sweep.SweepOutcome;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.ChildWorkflowFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs each stage of the spec in order through the ledger's cache; see {@link LifecycleWorkflow}. */
public class LifecycleWorkflowImpl implements LifecycleWorkflow {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Ledger writes are small and idempotent: retry them for as long as PostgreSQL is away. */
    private final LedgerActivities ledger = Workflow.newActivityStub(LedgerActivities.class,
            ActivityOptions.newBuilder()
                    .setStartToCloseTimeout(Duration.ofSeconds(30))
                    .setRetryOptions(RetryOptions.newBuilder().setMaximumInterval(Duration.ofSeconds(30)).build())
                    .build());

    private final List<Progress.StageProgress> stages = new ArrayList<>();
    private String status = "STARTING";
    private boolean paused;
    private String cancelReason;
    private boolean slotFreed;
    private CancellationScope runningStage;

    @Override
    public String run(LifecycleInput input) {
        List<Stage> plan = input.spec().stageList();
        plan.forEach(s -> stages.add(new Progress.StageProgress(s.id(), "PENDING", null)));
        setStatus(input.runId(), "RUNNING", null);
        Map<String, ArtifactRef> produced = new LinkedHashMap<>();
        try {
            for (int i = 0; i < plan.size(); i++) {
                holdWhilePaused(input.runId());
                if (cancelReason != null) {
                    return cancelled(input.runId(), null);
                }
                String outcome = runStage(input, i, plan.get(i), produced);
                if (!outcome.equals("SUCCEEDED")) {
                    return outcome;
                }
            }
        } catch (ActivityFailure e) {
            // A failure outside a stage's own activity, e.g. its sources could not be snapshotted.
            String error = describe(e);
            setStatus(input.runId(), "FAILED", error);
            throw ApplicationFailure.newNonRetryableFailure(error, "LifecycleFailed");
        }
        setStatus(input.runId(), "SUCCEEDED", null);
        return status;
    }

    /** Waits while the run is paused, until it is resumed or cancelled. */
    private void holdWhilePaused(String runId) {
        if (!paused) {
            return;
        }
        setStatus(runId, "PAUSED", null);
        Workflow.await(() -> !paused || cancelReason != null);
        if (cancelReason == null) {
            setStatus(runId, "RUNNING", null);
        }
    }

    /** Runs or reuses one stage; returns {@code SUCCEEDED}, or the run's final status when it ended here. */
    private String runStage(LifecycleInput input, int index, Stage stage, Map<String, ArtifactRef> produced) {
        Map<String, ArtifactRef> inputs = declaredInputs(stage, input.spec(), produced);
        List<RawDump> dumps = List.of();
        if (stage == Stage.DATA) {
            dumps = snapshotSources(input);
            inputs = rawDumpInputs(dumps);
        }
        JsonNode config = JSON.valueToTree(stage.configOf(input.spec(), dumps));
        if (stage == Stage.ALIGN) {
            inputs.putAll(alignmentData(input, config));
        }
        StageStart start = ledger.beginStage(input.runId(), stage.id(), config, inputs);
        if (start.reused() != null) {
            mark(index, stage, "REUSED", start.stageRowId());
            handOn(start.reused(), produced);
            return "SUCCEEDED";
        }
        mark(index, stage, "RUNNING", start.stageRowId());
        if (cancelledAsItStarted() || !holdsSlot(input, index, stage, start.stageRowId())) {
            return cancelled(input.runId(), index);
        }
        StageInput stageInput = new StageInput(input.runId(), start.stageRowId(), stage.id(), config, inputs);
        StageOutput[] output = new StageOutput[1];
        runningStage = Workflow.newCancellationScope(() -> output[0] = execute(stage, stageInput, input));
        try {
            runningStage.run();
        } catch (ActivityFailure | ChildWorkflowFailure | CanceledFailure e) {
            if (cancelReason != null) {
                return cancelled(input.runId(), index);
            }
            String error = describe(e);
            mark(index, stage, "FAILED", start.stageRowId());
            ledger.stageEnded(start.stageRowId(), "FAILED", error);
            setStatus(input.runId(), "FAILED", "stage " + stage.id() + " failed: " + error);
            throw ApplicationFailure.newNonRetryableFailure("stage " + stage.id() + " failed: " + error, "StageFailed");
        } finally {
            runningStage = null;
        }
        ledger.stageSucceeded(start.stageRowId(), output[0]);
        mark(index, stage, "SUCCEEDED", start.stageRowId());
        handOn(output[0], produced);
        return "SUCCEEDED";
    }

    /**
     * The earlier outputs a stage is handed: those it consumes. Runs recorded before stages declared their inputs
     * handed every earlier output to every later stage.
     */
    private static Map<String, ArtifactRef> declaredInputs(Stage stage, LifecycleSpec spec,
                                                           Map<String, ArtifactRef> produced) {
        Map<String, ArtifactRef> inputs = new LinkedHashMap<>(produced);
        if (Workflow.getVersion("declared-stage-inputs", Workflow.DEFAULT_VERSION, 1) >= 1) {
            inputs.keySet().retainAll(stage.consumes());
            if (stage == Stage.PLAN && sweepOf(spec) == null) {
                inputs.clear(); // only a sweep reads the tokens: a plan from the budget alone has no inputs
            }
        }
        return inputs;
    }

    /** Stores the spec's corpus sources as raw dumps, the data stage's inputs. */
    private static List<RawDump> snapshotSources(LifecycleInput input) {
        return Workflow.newActivityStub(DataStage.class, optionsFor(Stage.DATA, input))
                .snapshotSources(input.runId(), input.spec().corpus().sources());
    }

    private static Map<String, ArtifactRef> rawDumpInputs(List<RawDump> dumps) {
        Map<String, ArtifactRef> inputs = new LinkedHashMap<>();
        for (int i = 0; i < dumps.size(); i++) {
            inputs.put(DataStageConfig.inputName(i), dumps.get(i).artifact());
        }
        return inputs;
    }

    /**
     * The align stage's SFT and preference data, stored by digest. Runs recorded before alignment data had digests
     * read the files on the aligning worker instead.
     */
    private static Map<String, ArtifactRef> alignmentData(LifecycleInput input, JsonNode config) {
        if (Workflow.getVersion("align-data-snapshot", Workflow.DEFAULT_VERSION, 1) == Workflow.DEFAULT_VERSION) {
            return Map.of();
        }
        return Workflow.newActivityStub(AlignStage.class, optionsFor(Stage.ALIGN, input))
                .snapshotData(input.runId(), config);
    }

    /**
     * Whether a cancel arrived with the stage's start (its row already RUNNING), before any scope exists to cancel.
     * Runs recorded before this check went on into the stage.
     */
    private boolean cancelledAsItStarted() {
        return cancelReason != null
                && Workflow.getVersion("cancel-before-stage", Workflow.DEFAULT_VERSION, 1) >= 1;
    }

    /**
     * Whether the stage holds one of its team's slots on its queue (see {@link #awaitSlot}); false if the run was
     * cancelled while it waited. Runs recorded before teams had slots start their stages at once.
     */
    private boolean holdsSlot(LifecycleInput input, int index, Stage stage, long stageRowId) {
        return Workflow.getVersion("team-slots", Workflow.DEFAULT_VERSION, 1) == Workflow.DEFAULT_VERSION
                || awaitSlot(input, index, stage, stageRowId);
    }

    private void mark(int index, Stage stage, String stageStatus, long stageRowId) {
        stages.set(index, new Progress.StageProgress(stage.id(), stageStatus, stageRowId));
    }

    /** Adds a stage's outputs to the inputs of the stages after it, but for its report, which is for people. */
    private static void handOn(StageOutput output, Map<String, ArtifactRef> produced) {
        output.outputs().forEach((name, ref) -> {
            if (!name.equals(Outputs.REPORT)) {
                produced.put(name, ref);
            }
        });
    }

    /** Runs the stage's activity; the data stage fans out as a child workflow, the plan stage's sweep runs first. */
    private static StageOutput execute(Stage stage, StageInput stageInput, LifecycleInput input) {
        if (stage == Stage.DATA && dataRunsAsChildWorkflow()) {
            return Workflow.newChildWorkflowStub(DataWorkflow.class, ChildWorkflowOptions.newBuilder()
                            .setWorkflowId(DataWorkflowInput.workflowId(Workflow.getInfo().getWorkflowId()))
                            .build())
                    .run(new DataWorkflowInput(stageInput, input.cpuQueue()));
        }
        StageInput withFit = stage == Stage.PLAN ? withSweep(stageInput, input) : stageInput;
        return stage.activity().run(optionsFor(stage, input), withFit);
    }

    /** Runs recorded before the data stage fanned out keep calling its single activity. */
    private static boolean dataRunsAsChildWorkflow() {
        return Workflow.getVersion("data-child-workflow", Workflow.DEFAULT_VERSION, 1) != Workflow.DEFAULT_VERSION;
    }

    private static SweepOptions sweepOf(LifecycleSpec spec) {
        return spec.plan() == null ? null : spec.plan().sweep();
    }

    /**
     * The plan stage's input, after the spec's sweep (if any) has run as a child workflow on the corpus tokens:
     * its fit joins the inputs as {@value Outputs#SCALING_FIT}, so the plan uses the fitted laws.
     * The sweep belongs to the plan stage: a reused plan reuses its fit too.
     */
    private static StageInput withSweep(StageInput stageInput, LifecycleInput input) {
        LifecycleSpec spec = input.spec();
        SweepOptions sweep = sweepOf(spec);
        // Runs recorded before sweeps existed have none, so they never reach the version marker.
        if (sweep == null || Workflow.getVersion("plan-sweep", Workflow.DEFAULT_VERSION, 1) == Workflow.DEFAULT_VERSION) {
            return stageInput;
        }
        ArtifactRef tokens = stageInput.inputs().get(Outputs.TOKENS);
        if (tokens == null) {
            throw ApplicationFailure.newNonRetryableFailure("plan.sweep: the probe runs need the tokenizer stage's "
                    + "'tokens' output before the plan stage", StageFailures.INVALID_INPUT);
        }
        SweepOutcome outcome = Workflow.newChildWorkflowStub(ScalingSweepWorkflow.class, ChildWorkflowOptions.newBuilder()
                        .setWorkflowId(SweepInput.workflowId(Workflow.getInfo().getWorkflowId()))
                        .build())
                .run(new SweepInput(input.runId(), Stage.PLAN.id(), sweep, spec.compute().budget(),
                        spec.plan().seqLen(), tokens, sweep.onGpu() ? input.gpuQueue() : input.cpuQueue()));
        Map<String, ArtifactRef> inputs = new LinkedHashMap<>(stageInput.inputs());
        inputs.put(Outputs.SCALING_FIT, outcome.fit());
        return new StageInput(stageInput.runId(), stageInput.stageRowId(), stageInput.stage(), stageInput.config(),
                inputs);
    }

    /**
     * The longest pause between two tries for a team's slot: a waiting stage's history grows by each try. Since
     * {@code slotFreed} wakes a waiting stage, the timed tries are only a fallback for a lost signal.
     */
    private static final Duration MAX_SLOT_WAIT = Duration.ofMinutes(1);

    /**
     * Waits until the stage holds one of its team's slots on its queue, so that one team's stages queue behind
     * each other and not in front of another team's; false if the run was cancelled meanwhile. A
     * {@code slotFreed} signal ends the pause before the next try; runs recorded before that signal existed only
     * try on their timer.
     */
    private boolean awaitSlot(LifecycleInput input, int index, Stage stage, long stageRowId) {
        String queue = stage.queue() == Stage.QueueKind.GPU ? input.gpuQueue() : input.cpuQueue();
        boolean wokenBySignal = Workflow.getVersion("prompt-slots", Workflow.DEFAULT_VERSION, 1) >= 1;
        Duration wait = Duration.ofSeconds(1);
        while (true) {
            // Cleared before the try, so that a signal sent while the try runs still ends the pause after it.
            slotFreed = false;
            if (ledger.claimSlot(stageRowId, queue)) {
                break;
            }
            mark(index, stage, "WAITING", stageRowId);
            if (Workflow.await(wait, () -> cancelReason != null || wokenBySignal && slotFreed)
                    && cancelReason != null) {
                return false;
            }
            wait = wait.multipliedBy(2).compareTo(MAX_SLOT_WAIT) > 0 ? MAX_SLOT_WAIT : wait.multipliedBy(2);
        }
        mark(index, stage, "RUNNING", stageRowId);
        return cancelReason == null;
    }

    private static ActivityOptions optionsFor(Stage stage, LifecycleInput input) {
        return stage.activityOptions(stage.queue() == Stage.QueueKind.GPU ? input.gpuQueue() : input.cpuQueue());
    }

    private String cancelled(String runId, Integer stageIndex) {
        if (stageIndex != null) {
            Progress.StageProgress p = stages.get(stageIndex);
            stages.set(stageIndex, new Progress.StageProgress(p.stage(), "CANCELLED", p.stageRowId()));
            ledger.stageEnded(p.stageRowId(), "CANCELLED", cancelReason);
        }
        setStatus(runId, "CANCELLED", cancelReason);
        return status;
    }

    private void setStatus(String runId, String newStatus, String error) {
        status = newStatus;
        ledger.runStatus(runId, newStatus, error);
    }

    /** The innermost failure's type and message, which is what a person needs to read. */
    private static String describe(TemporalFailure failure) {
        Throwable t = failure;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof ApplicationFailure app) {
            return app.getType() + ": " + app.getOriginalMessage();
        }
        return t instanceof TemporalFailure tf ? tf.getOriginalMessage() : t.toString();
    }

    @Override
    public void pause() {
        paused = true;
    }

    @Override
    public void resume() {
        paused = false;
    }

    @Override
    public void cancel(String reason) {
        cancelReason = reason == null || reason.isBlank() ? "cancelled" : reason;
        if (runningStage != null) {
            runningStage.cancel(cancelReason);
        }
    }

    @Override
    public void slotFreed() {
        slotFreed = true;
    }

    @Override
    public Progress progress() {
        return new Progress(status, List.copyOf(stages));
    }
}
