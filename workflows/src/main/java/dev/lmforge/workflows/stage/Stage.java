package dev.lmforge.workflows.stage;

import io.temporal.activity.ActivityCancellationType;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

/**
 * The stages of a lifecycle, in the order DESIGN.md gives, with what the orchestrator needs to know about
 * each: its task queue kind, its code version (part of every cache key: bump it when the stage's output for
 * the same inputs changes), whether this build implements it, its timeouts and retry budget, and which earlier
 * outputs it consumes.
 */
public enum Stage {
    DATA("data", QueueKind.CPU, 2, true, Duration.ofHours(12), Duration.ofSeconds(10), 5, Set.of()),
    TOKENIZER("tokenizer", QueueKind.CPU, 2, true, Duration.ofHours(12), Duration.ofSeconds(30), 5, Set.of("corpus")),
    PLAN("plan", QueueKind.CPU, 1, true, Duration.ofHours(48), Duration.ofSeconds(60), 3, Set.of("tokens")),
    PRETRAIN("pretrain", QueueKind.GPU, 1, true, Duration.ofDays(60), Duration.ofSeconds(60), 100,
            Set.of("plan", "tokens", "tokenizer", "held-out", "scaling-fit")),
    EVALUATE_BASE("evaluate-base", QueueKind.GPU, 1, true, Duration.ofHours(24), Duration.ofSeconds(60), 5,
            Set.of("model", "checkpoint", "tokenizer", "held-out", "corpus")),
    ALIGN("align", QueueKind.GPU, 2, true, Duration.ofDays(7), Duration.ofSeconds(60), 20,
            Set.of("checkpoint", "tokenizer", AlignStage.SFT_DATA, AlignStage.PREFERENCE_DATA)),
    EVALUATE_CHAT("evaluate-chat", QueueKind.GPU, 1, true, Duration.ofHours(24), Duration.ofSeconds(60), 5,
            Set.of("model", "checkpoint", "tokenizer", "held-out", "corpus"));

    /**
     * The name of a stage output that reports what the stage did, for people: later stages do not take it as an
     * input, so it is neither in their cache keys nor in their lineage.
     */
    public static final String REPORT_OUTPUT = "report";

    /** Which compute queue a stage's activities are polled from. */
    public enum QueueKind { CPU, GPU }

    private final String id;
    private final QueueKind queue;
    private final int codeVersion;
    private final boolean built;
    private final Duration startToClose;
    private final Duration heartbeat;
    private final int maxAttempts;
    private final Set<String> consumes;

    Stage(String id, QueueKind queue, int codeVersion, boolean built, Duration startToClose, Duration heartbeat,
          int maxAttempts, Set<String> consumes) {
        this.id = id;
        this.queue = queue;
        this.codeVersion = codeVersion;
        this.built = built;
        this.startToClose = startToClose;
        this.heartbeat = heartbeat;
        this.maxAttempts = maxAttempts;
        this.consumes = consumes;
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

    /** Whether this build of lmforge implements the stage; a spec naming an unbuilt stage is refused. */
    public boolean built() {
        return built;
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

    /**
     * Options for this stage's activities on {@code taskQueue}: its timeouts and retry budget, waiting for a
     * cancelled activity to stop, and no retry of bad input or an unbuilt stage.
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
                        .setDoNotRetry(StageFailures.INVALID_INPUT, StageFailures.NOT_BUILT)
                        .build())
                .build();
    }

    /** The stage named {@code id}, if any. */
    public static Optional<Stage> byId(String id) {
        return Arrays.stream(values()).filter(s -> s.id.equals(id)).findFirst();
    }
}
