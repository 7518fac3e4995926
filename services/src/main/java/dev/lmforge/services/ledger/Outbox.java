package dev.lmforge.services.ledger;

import static dev.lmforge.services.ledger.Jdbc.instant;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Events for systems outside lmforge (a lineage catalog fed by OpenLineage, an MLflow tracking server), queued in
 * the ledger right after the change that causes them and delivered later by a background deliverer. Each event has
 * an idempotent key (queueing it twice keeps one row); per run and sink only the oldest undelivered event is due,
 * so a run's events arrive in the order they were queued. Beside it: per-team endpoints and the MLflow run ids
 * that mirror lmforge's runs.
 */
public final class Outbox {

    /** The sinks events go to. */
    public static final String OPENLINEAGE = "openlineage";
    public static final String MLFLOW = "mlflow";

    private final Jdbc jdbc;

    public Outbox(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /** An event: where it goes, what it carries, and how its delivery went. */
    public record OutboxEvent(long id, String runId, String sink, String endpoint, String idempotencyKey, String kind,
                              String payload, String status, int attempts, Instant nextAttemptAt, String lastError,
                              Instant createdAt, Instant deliveredAt) {
    }

    /** How many of a run's events for one sink and endpoint are in each state, and the newest error. */
    public record DeliveryStatus(String sink, String endpoint, long delivered, long pending, long failed,
                                 String lastError, Instant lastErrorAt) {
    }

    /**
     * A team's endpoints and their secrets; a null value falls back to the process-wide setting. The secrets are
     * stored in plain text in PostgreSQL; {@link #toString} leaves them out, so a logged record shows none.
     */
    public record TeamIntegration(String team, String openLineageUrl, String openLineageNamespace,
                                  String mlflowTrackingUri, String mlflowExperimentBy, boolean disabled,
                                  String openLineageApiKey, String mlflowToken) {

        /** Endpoints without secrets. */
        public TeamIntegration(String team, String openLineageUrl, String openLineageNamespace,
                               String mlflowTrackingUri, String mlflowExperimentBy, boolean disabled) {
            this(team, openLineageUrl, openLineageNamespace, mlflowTrackingUri, mlflowExperimentBy, disabled, null, null);
        }

        @Override
        public String toString() {
            return "TeamIntegration[team=" + team + ", openLineageUrl=" + openLineageUrl + ", openLineageNamespace="
                    + openLineageNamespace + ", mlflowTrackingUri=" + mlflowTrackingUri + ", mlflowExperimentBy="
                    + mlflowExperimentBy + ", disabled=" + disabled + ", openLineageApiKey="
                    + (openLineageApiKey == null ? "none" : "set") + ", mlflowToken=" + (mlflowToken == null ? "none" : "set") + "]";
        }
    }

    /** Queues an event; says whether it is new (an event with this key already queued is left as it is). */
    public boolean enqueue(String runId, String sink, String endpoint, String idempotencyKey, String kind, String payloadJson) {
        return jdbc.update("INSERT INTO outbox_events (run_id, sink, endpoint, idempotency_key, kind, payload) "
                + "VALUES (?, ?, ?, ?, ?, ?::jsonb) ON CONFLICT (idempotency_key) DO NOTHING",
                runId, sink, endpoint, idempotencyKey, kind, payloadJson);
    }

    /**
     * The events due now: for each run and sink the oldest pending event, if its next attempt is due, oldest
     * first, at most {@code limit}.
     */
    public List<OutboxEvent> due(int limit) {
        return jdbc.query("SELECT * FROM (SELECT DISTINCT ON (run_id, sink) * FROM outbox_events WHERE status = 'pending' "
                + "ORDER BY run_id, sink, id) head WHERE next_attempt_at <= now() ORDER BY id LIMIT ?", Outbox::eventOf, limit);
    }

    /** The next event of the same run and sink after {@code event}, if it is pending. */
    public Optional<OutboxEvent> nextPending(OutboxEvent event) {
        return jdbc.queryOne("SELECT * FROM outbox_events WHERE run_id = ? AND sink = ? AND status = 'pending' AND id > ? "
                + "ORDER BY id LIMIT 1", Outbox::eventOf, event.runId(), event.sink(), event.id());
    }

    public void delivered(long id) {
        jdbc.update("UPDATE outbox_events SET status = 'delivered', attempts = attempts + 1, delivered_at = now(), last_attempt_at = now() "
                + "WHERE id = ? AND status = 'pending'", id);
    }

    /** Records a failed attempt: tried again after {@code retryAfterMillis}, or, with null, failed for good. */
    public void attemptFailed(long id, String error, Long retryAfterMillis) {
        jdbc.update("UPDATE outbox_events SET attempts = attempts + 1, last_error = ?, last_attempt_at = now(), "
                        + "status = CASE WHEN ?::bigint IS NULL THEN 'failed' ELSE 'pending' END, "
                        + "next_attempt_at = now() + make_interval(secs => COALESCE(?::bigint, 0) / 1000.0) "
                        + "WHERE id = ? AND status = 'pending'",
                error, retryAfterMillis, retryAfterMillis, id);
    }

    /** A run's events in the order they were queued. */
    public List<OutboxEvent> events(String runId) {
        return jdbc.query("SELECT * FROM outbox_events WHERE run_id = ? ORDER BY id", Outbox::eventOf, runId);
    }

    /** A run's delivery status per sink and endpoint. */
    public List<DeliveryStatus> status(String runId) {
        return jdbc.query("SELECT sink, endpoint, count(*) FILTER (WHERE status = 'delivered'), "
                        + "count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'failed'), "
                        + "(array_agg(last_error ORDER BY id DESC) FILTER (WHERE last_error IS NOT NULL AND status <> 'delivered'))[1], "
                        + "max(last_attempt_at) FILTER (WHERE last_error IS NOT NULL AND status <> 'delivered') "
                        + "FROM outbox_events WHERE run_id = ? GROUP BY sink, endpoint ORDER BY sink, endpoint",
                rs -> new DeliveryStatus(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getLong(5),
                        rs.getString(6), rs.getTimestamp(7) == null ? null : rs.getTimestamp(7).toInstant()), runId);
    }

    /** The stage row that first produced an artifact (not a reuse of it): its row id, run and stage. */
    public record Producer(long stageRow, String runId, String stage) {
    }

    public Optional<Producer> producer(String digest) {
        return jdbc.queryOne("SELECT s.id, s.run_id, s.stage FROM lineage l JOIN stages s ON s.id = l.stage_id "
                + "WHERE l.artifact = ? AND l.direction = 'produced' AND NOT l.reused ORDER BY s.id LIMIT 1",
                rs -> new Producer(rs.getLong(1), rs.getString(2), rs.getString(3)), digest);
    }

    // ---- per-team endpoints

    public Optional<TeamIntegration> team(String team) {
        return jdbc.queryOne("SELECT * FROM team_integrations WHERE team = ?", Outbox::teamOf, team);
    }

    /** The row of the team that run {@code runId} belongs to, if the run has a team and the team a row. */
    public Optional<TeamIntegration> teamOfRun(String runId) {
        return jdbc.queryOne("SELECT t.* FROM runs r JOIN team_integrations t ON t.team = r.team WHERE r.id = ?",
                Outbox::teamOf, runId);
    }

    /** Stores a team's row, secrets included (null: none, the process-wide one applies). */
    public void setTeam(TeamIntegration t) {
        jdbc.update("INSERT INTO team_integrations (team, openlineage_url, openlineage_namespace, mlflow_tracking_uri, "
                        + "mlflow_experiment_by, disabled, openlineage_api_key, mlflow_token) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                        + "ON CONFLICT (team) DO UPDATE SET "
                        + "openlineage_url = EXCLUDED.openlineage_url, openlineage_namespace = EXCLUDED.openlineage_namespace, "
                        + "mlflow_tracking_uri = EXCLUDED.mlflow_tracking_uri, mlflow_experiment_by = EXCLUDED.mlflow_experiment_by, "
                        + "disabled = EXCLUDED.disabled, openlineage_api_key = EXCLUDED.openlineage_api_key, "
                        + "mlflow_token = EXCLUDED.mlflow_token, updated_at = now()",
                t.team(), t.openLineageUrl(), t.openLineageNamespace(), t.mlflowTrackingUri(), t.mlflowExperimentBy(),
                t.disabled(), t.openLineageApiKey(), t.mlflowToken());
    }

    private static TeamIntegration teamOf(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new TeamIntegration(rs.getString("team"), rs.getString("openlineage_url"),
                rs.getString("openlineage_namespace"), rs.getString("mlflow_tracking_uri"),
                rs.getString("mlflow_experiment_by"), rs.getBoolean("disabled"), rs.getString("openlineage_api_key"),
                rs.getString("mlflow_token"));
    }

    // ---- progress of running stages

    /** The stage rows running on a worker now (holding a slot), oldest first. */
    public List<Long> runningStageRows() {
        return jdbc.query("SELECT id FROM stages WHERE status = 'RUNNING' AND slot_queue IS NOT NULL ORDER BY id",
                rs -> rs.getLong(1));
    }

    /**
     * How many progress events a stage row has queued, how many seconds ago (by the database's clock) its newest
     * RUNNING event (the first one or a progress event) was queued, and the step the newest progress event reported.
     */
    public record ProgressState(int events, double secondsSinceLast, Long lastStep) {
    }

    /** The progress state of stage row {@code stageRow} of run {@code runId}, if its RUNNING event was queued. */
    public Optional<ProgressState> progress(String runId, long stageRow) {
        String prefix = OPENLINEAGE + ":stage:" + stageRow + ":";
        return jdbc.queryOne("SELECT count(*) FILTER (WHERE kind = ?), extract(epoch FROM now() - max(created_at)), "
                        + "(array_agg((payload #>> '{run,facets,lmforge_progress,step}')::bigint ORDER BY id DESC) "
                        + "FILTER (WHERE kind = ?))[1] FROM outbox_events WHERE run_id = ? AND sink = ? "
                        + "AND kind IN ('RUNNING', ?) AND idempotency_key LIKE ? HAVING count(*) > 0",
                rs -> new ProgressState(rs.getInt(1), rs.getDouble(2), (Long) rs.getObject(3)),
                PROGRESS, PROGRESS, runId, OPENLINEAGE, PROGRESS, prefix + "%");
    }

    /** The kind of a stage's OpenLineage progress events (RUNNING events after the first). */
    public static final String PROGRESS = "PROGRESS";

    // ---- MLflow run ids

    /** An MLflow run that mirrors an lmforge run or stage row, and its experiment. */
    public record MlflowRun(String experimentId, String runId) {
    }

    /** The MLflow run that mirrors {@code lmforgeKey} on {@code trackingUri}, if one was made. */
    public Optional<MlflowRun> mlflowRun(String lmforgeKey, String trackingUri) {
        return jdbc.queryOne("SELECT experiment_id, mlflow_run_id FROM mlflow_runs WHERE lmforge_key = ? AND tracking_uri = ?",
                rs -> new MlflowRun(rs.getString(1), rs.getString(2)), lmforgeKey, trackingUri);
    }

    public void recordMlflowRun(String lmforgeKey, String trackingUri, String experimentId, String mlflowRunId) {
        jdbc.update("INSERT INTO mlflow_runs (lmforge_key, tracking_uri, experiment_id, mlflow_run_id) VALUES (?, ?, ?, ?) "
                + "ON CONFLICT (lmforge_key, tracking_uri) DO NOTHING", lmforgeKey, trackingUri, experimentId, mlflowRunId);
    }

    private static OutboxEvent eventOf(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new OutboxEvent(rs.getLong("id"), rs.getString("run_id"), rs.getString("sink"), rs.getString("endpoint"),
                rs.getString("idempotency_key"), rs.getString("kind"), rs.getString("payload"), rs.getString("status"),
                rs.getInt("attempts"), instant(rs, "next_attempt_at"), rs.getString("last_error"),
                instant(rs, "created_at"), instant(rs, "delivered_at"));
    }
}
