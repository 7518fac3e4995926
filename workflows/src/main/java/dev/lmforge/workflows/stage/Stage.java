package dev.lmforge.workflows.stage;

import dev.lmforge.workflows.spec.LifecycleSpec;
import io.temporal.activity.ActivityCancellationType;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The stages of a lifecycle, in the order DESIGN.md gives, each wired once: its task queue kind, its code version
 * (part of every cache key: bump it when the stage's output for the same inputs changes), its timeouts and retry
 * budget, the earlier outputs it requires and those it reads when present, the outputs it produces, how its config
 * derives from the spec, and the activity that runs it. The spec validator's order rules, the compute side's
 * "needs X before it" and the lifecycle's dispatch all derive from this table.
 */
public enum Stage {
    DATA("data", QueueKind.CPU, 2, Duration.ofHours(12), Duration.ofSeconds(10), 5,
            Set.of(), Set.of(), Set.of(Outputs.CORPUS, Outputs.REPORT),
            (spec, dumps) -> new DataStageConfig(spec.data(), dumps),
            new StageActivity<>(DataStage.class, DataStage::data)),
    /**
     * Fails on a missing corpus when it runs, not at submission: the orchestration benchmark runs a no-op tokenizer
     * stage without a data stage.
     */
    TOKENIZER("tokenizer", QueueKind.CPU, 2, Duration.ofHours(12), Duration.ofSeconds(30), 5,
            Set.of(), Set.of(Outputs.CORPUS), Set.of(Outputs.TOKENIZER, Outputs.TOKENS, Outputs.HELD_OUT),
            (spec, dumps) -> new TokenizerStageConfig(spec.tokenizer()),
            new StageActivity<>(TokenizerStage.class, TokenizerStage::tokenize)),
    /** Reads the tokens only for a sweep's probe runs; a plan from the budget alone has no inputs. */
    PLAN("plan", QueueKind.CPU, 1, Duration.ofHours(48), Duration.ofSeconds(60), 3,
            Set.of(), Set.of(Outputs.TOKENS), Set.of(Outputs.PLAN, Outputs.SCALING_FIT),
            (spec, dumps) -> PlanStageConfig.of(spec),
            new StageActivity<>(PlanStage.class, PlanStage::plan)),
    PRETRAIN("pretrain", QueueKind.GPU, 2, Duration.ofDays(60), Duration.ofSeconds(60), 100,
            Set.of(Outputs.PLAN, Outputs.TOKENS, Outputs.TOKENIZER), Set.of(Outputs.HELD_OUT, Outputs.SCALING_FIT),
            Set.of(Outputs.MODEL, Outputs.CHECKPOINT, Outputs.BOUNDARY_CHECKPOINT),
            (spec, dumps) -> new PretrainStageConfig(spec.training()),
            new StageActivity<>(PretrainStage.class, PretrainStage::pretrain)),
    /** Reads the corpus for the bundled suite's cloze task, the held-out documents for bits per byte. */
    EVALUATE_BASE("evaluate-base", QueueKind.GPU, 1, Duration.ofHours(24), Duration.ofSeconds(60), 5,
            Set.of(Outputs.MODEL, Outputs.CHECKPOINT, Outputs.TOKENIZER), Set.of(Outputs.HELD_OUT, Outputs.CORPUS),
            Set.of(Outputs.EVALUATION),
            (spec, dumps) -> new EvaluateStageConfig(spec.evaluation()),
            new StageActivity<>(EvaluateStage.class, EvaluateStage::evaluate)),
    /** Its SFT and preference data come from {@link AlignStage#snapshotData}, not from an earlier stage. */
    ALIGN("align", QueueKind.GPU, 3, Duration.ofDays(7), Duration.ofSeconds(60), 20,
            Set.of(Outputs.CHECKPOINT, Outputs.TOKENIZER), Set.of(Outputs.SFT_DATA, Outputs.PREFERENCE_DATA),
            Set.of(Outputs.MODEL, Outputs.CHECKPOINT, Outputs.REPORT),
            (spec, dumps) -> AlignStageConfig.of(spec),
            new StageActivity<>(AlignStage.class, AlignStage::align)),
    EVALUATE_CHAT("evaluate-chat", QueueKind.GPU, 1, Duration.ofHours(24), Duration.ofSeconds(60), 5,
            Set.of(Outputs.MODEL, Outputs.CHECKPOINT, Outputs.TOKENIZER), Set.of(Outputs.HELD_OUT, Outputs.CORPUS),
            Set.of(Outputs.EVALUATION),
            (spec, dumps) -> new EvaluateStageConfig(spec.evaluation()),
            new StageActivity<>(EvaluateStage.class, EvaluateStage::evaluate));

    /** How a stage's config derives from the spec and, for the data stage, the dumps its sources were stored as. */
    @FunctionalInterface
    public interface ConfigSource {
        /** The stage's config record (e.g. a {@link TokenizerStageConfig}), as the stage and its cache key see it. */
        Object configOf(LifecycleSpec spec, List<RawDump> dumps);
    }

    /** Which compute queue a stage's activities are polled from. */
    public enum QueueKind { CPU, GPU }

    private final String id;
    private final QueueKind queue;
    private final int codeVersion;
    private final Duration startToClose;
    private final Duration heartbeat;
    private final int maxAttempts;
    private final Set<String> requires;
    private final Set<String> consumes;
    private final Set<String> produces;
    private final ConfigSource config;
    private final StageActivity<?> activity;

    Stage(String id, QueueKind queue, int codeVersion, Duration startToClose, Duration heartbeat, int maxAttempts,
          Set<String> requires, Set<String> readsWhenPresent, Set<String> produces, ConfigSource config,
          StageActivity<?> activity) {
        this.id = id;
        this.queue = queue;
        this.codeVersion = codeVersion;
        this.startToClose = startToClose;
        this.heartbeat = heartbeat;
        this.maxAttempts = maxAttempts;
        this.requires = requires;
        this.consumes = Stream.concat(requires.stream(), readsWhenPresent.stream())
                .collect(Collectors.toUnmodifiableSet());
        this.produces = produces;
        this.config = config;
        this.activity = activity;
    }

    /** The stage's name in specs, the API and the ledger, e.g. {@code "evaluate-base"}. */
    public String id() {
        return id;
    }

    public QueueKind queue() {
        return queue;
    }

    public int codeVersion() {
        return codeVersion;
    }

    public Duration startToClose() {
        return startToClose;
    }

    /** A worker silent for longer than this is presumed dead and the activity is retried elsewhere. */
    public Duration heartbeat() {
        return heartbeat;
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    /**
     * The earlier stages' outputs this stage reads (by output name; the data stage reads the raw dumps instead).
     * Only these are its inputs, so only they are in its cache key and its lineage: a changed evaluation does not
     * make alignment run again, and an aligned model's lineage does not claim the evaluation made it.
     */
    public Set<String> consumes() {
        return consumes;
    }

    /** The earlier stages' outputs without which this stage cannot run; the stages it {@link #needs()} make them. */
    public Set<String> requires() {
        return requires;
    }

    /** This stage's config for {@code spec}; {@code dumps} are the data stage's snapshotted sources (else empty). */
    public Object configOf(LifecycleSpec spec, List<RawDump> dumps) {
        return config.configOf(spec, dumps);
    }

    /** The activity that runs this stage. */
    public StageActivity<?> activity() {
        return activity;
    }

    /**
     * The stage that makes output {@code name} for {@code consumer}: the last stage before it in lifecycle order
     * that produces it (evaluate-chat's model is the aligned one); empty when no stage does.
     */
    public static Optional<Stage> producerOf(String name, Stage consumer) {
        return Arrays.stream(values()).filter(s -> s.ordinal() < consumer.ordinal() && s.produces.contains(name))
                .reduce((earlier, later) -> later);
    }

    /** The stages that must run before this one, in lifecycle order: the producers of what it requires. */
    public List<Stage> needs() {
        return requires.stream().map(name -> producerOf(name, this)).flatMap(Optional::stream).distinct().sorted()
                .toList();
    }

    /**
     * Options for this stage's activities on {@code taskQueue}: its timeouts and retry budget, waiting for a
     * cancelled activity to stop, and no retry of bad input.
     */
    public ActivityOptions activityOptions(String taskQueue) {
        return ActivityOptions.newBuilder()
                .setTaskQueue(taskQueue)
                .setStartToCloseTimeout(startToClose)
                .setHeartbeatTimeout(heartbeat)
                .setCancellationType(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
                .setRetryOptions(RetryOptions.newBuilder()
                        .setInitialInterval(Duration.ofSeconds(1))
                        .setBackoffCoefficient(2)
                        .setMaximumInterval(Duration.ofMinutes(2))
                        .setMaximumAttempts(maxAttempts)
                        .setDoNotRetry(StageFailures.INVALID_INPUT)
                        .build())
                .build();
    }

    /** The stage named {@code id}, if any. */
    public static Optional<Stage> byId(String id) {
        return Arrays.stream(values()).filter(s -> s.id.equals(id)).findFirst();
    }
}
