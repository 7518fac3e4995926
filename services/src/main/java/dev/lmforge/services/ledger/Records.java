package dev.lmforge.services.ledger;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The ledger's rows as Java records. */
public final class Records {

    private Records() {
    }

    /** A run of a lifecycle. */
    public record RunRecord(String id, String name, String team, String owner, String spec, String specSource,
                            String status, String error, String workflowId, String temporalRunId, String resumedFrom,
                            Instant createdAt, Instant startedAt, Instant endedAt) {
    }

    /** One stage execution of a run; {@code reusedFrom} is the row whose outputs a cache hit reused. */
    public record StageRecord(long id, String runId, String stage, String status, String cacheKey, int codeVersion,
                              String config, String summary, Long reusedFrom, String error, Instant startedAt,
                              Instant endedAt, Map<String, String> inputs, Map<String, String> outputs,
                              List<AttemptRecord> attempts, String slotQueue) {

        /** Running but holding none of its team's slots yet (lmforge.limits.team-stages-per-queue): it waits. */
        public boolean waitingForSlot() {
            return status.equals("RUNNING") && slotQueue == null && attempts.isEmpty();
        }
    }

    /** One activity attempt of a stage, as the worker that ran it recorded it. */
    public record AttemptRecord(int attempt, String worker, String status, String resumedFromCheckpoint,
                                String error, Instant startedAt, Instant endedAt) {
    }

    /** An artifact's metadata; {@code deletedAt}: when the garbage collector removed its bytes (null while stored). */
    public record ArtifactRecord(String digest, String kind, long sizeBytes, String metadata, Instant createdAt,
                                 Instant deletedAt) {
    }

    /**
     * An object a stage wrote to the artifact store: its digest, the kind it was written as, the run, stage and
     * stage row that wrote it (each null where the writer did not know it), its size and when.
     */
    public record StoredObjectRecord(String digest, String kind, String runId, String stage, Long stageId,
                                     long sizeBytes, Instant createdAt) {
    }

    /** A lineage graph: artifacts and stage executions, and edges between them. */
    public record LineageGraph(List<ArtifactRecord> artifacts, List<LineageStage> stages, List<LineageEdge> edges) {
    }

    /** A stage execution as a node of a lineage graph. */
    public record LineageStage(long id, String runId, String stage, String status, Long reusedFrom) {
    }

    /** {@code consumed}: artifact → stage; {@code produced}: stage → artifact. */
    public record LineageEdge(long stageId, String artifact, String direction, String name, boolean reused) {
    }

    /** A metric series of a run: how many points, the last step and value. */
    public record MetricSummary(String stage, String name, long points, long lastStep, double lastValue) {
    }

    /** One metric point. */
    public record MetricPoint(long step, double value) {
    }

    /** A page of rows and the total count that matched. */
    public record Page<T>(List<T> items, long total, int limit, int offset) {
    }

    /** A new run, before it has a status or Temporal ids; {@code plannedStages} are the stage ids it runs, in order. */
    public record NewRun(String id, String name, String team, String owner, String specJson, String specSource,
                         List<String> plannedStages, String resumedFrom) {
    }

    /**
     * A run as a row of a list: what the runs page shows, never the spec. {@code stages} are the planned stages in
     * lifecycle order, each with the status of its newest row ({@code PENDING} until it starts).
     */
    public record RunSummary(String id, String name, String team, String owner, String status, String resumedFrom,
                             Instant createdAt, Instant startedAt, Instant endedAt, List<StageProgress> stages) {
    }

    /** One planned stage of a run and its newest status. */
    public record StageProgress(String stage, String status) {
    }

    /**
     * One evaluation figure of a run's stage: a task's metric over {@code n} items (or bytes), with its standard
     * error where it is a mean, and the model artifact it measured.
     */
    public record EvaluationResult(String runId, String stage, String model, String task, String metric, double value,
                                   long n, Double stderr) {
    }

    /** A training checkpoint written by the stage execution with {@code cacheKey}, after {@code step} steps. */
    public record CheckpointRecord(String cacheKey, long step, String role, String digest, String runId) {
    }
}
