package dev.lmforge.services.ledger;

import java.util.List;

/**
 * What the ledger says about the platform right now, read for the operators' metrics: runs by status and team,
 * stage executions with their attempts and durations, the attempts running on each worker, the newest loss and
 * throughput of every running pretraining, the age of its newest checkpoint, and the audit chain's head. Each
 * part is one grouped query over an indexed table, so a scrape costs a few milliseconds at 10,000 runs.
 */
public final class OperationsReadings {

    /** Runs of one team in one status; {@code team} is empty for runs of no team. */
    public record RunCount(String status, String team, long runs) {}

    /**
     * Executions of one stage that ended in {@code status} (reused ones excluded: they did no work), the attempts
     * they took, and their wall time.
     */
    public record StageTotals(String stage, String status, long executions, long attempts, double meanSeconds,
                              double maxSeconds) {}

    /** Attempts a worker (its Temporal identity) is running now. */
    public record WorkerLoad(String worker, long runningAttempts) {}

    /** The newest value of one pretraining metric ({@code loss}, {@code tokens_per_second}) of a running run. */
    public record TrainingReading(String runId, String team, String metric, double value) {}

    /** Seconds since a running run's newest checkpoint. */
    public record CheckpointAge(String runId, String team, double seconds) {}

    /** One reading of everything above; {@code auditHead} is the newest audit event's id (0: none). */
    public record Snapshot(List<RunCount> runs, List<StageTotals> stages, List<WorkerLoad> workers,
                           List<TrainingReading> training, List<CheckpointAge> checkpoints, long auditHead) {}

    /** The pretraining metrics read for running runs. */
    public static final List<String> TRAINING_METRICS = List.of("loss", "tokens_per_second");

    private final Jdbc jdbc;

    public OperationsReadings(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /** Reads everything once. */
    public Snapshot read() {
        List<RunCount> runs = jdbc.query("SELECT status, coalesce(team, ''), count(*) FROM runs GROUP BY 1, 2",
                rs -> new RunCount(rs.getString(1), rs.getString(2), rs.getLong(3)));
        List<StageTotals> stages = jdbc.query("""
                SELECT s.stage, s.status, count(*),
                       coalesce(sum((SELECT count(*) FROM stage_attempts a WHERE a.stage_id = s.id)), 0),
                       coalesce(avg(extract(epoch FROM s.ended_at - s.started_at)), 0),
                       coalesce(max(extract(epoch FROM s.ended_at - s.started_at)), 0)
                FROM stages s WHERE s.ended_at IS NOT NULL AND s.reused_from IS NULL GROUP BY 1, 2""",
                rs -> new StageTotals(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4),
                        rs.getDouble(5), rs.getDouble(6)));
        List<WorkerLoad> workers = jdbc.query(
                "SELECT worker, count(*) FROM stage_attempts WHERE status = 'RUNNING' GROUP BY 1",
                rs -> new WorkerLoad(rs.getString(1), rs.getLong(2)));
        List<TrainingReading> training = jdbc.query("""
                SELECT DISTINCT ON (m.run_id, m.name) m.run_id, coalesce(r.team, ''), m.name, m.value
                FROM runs r JOIN metrics m ON m.run_id = r.id AND m.stage = 'pretrain' AND m.name = ANY (?)
                WHERE r.status = 'RUNNING' ORDER BY m.run_id, m.name, m.step DESC""",
                rs -> new TrainingReading(rs.getString(1), rs.getString(2), rs.getString(3), rs.getDouble(4)),
                (Object) TRAINING_METRICS.toArray(String[]::new));
        List<CheckpointAge> checkpoints = jdbc.query("""
                SELECT r.id, coalesce(r.team, ''), extract(epoch FROM now() - max(c.at))
                FROM runs r JOIN checkpoints c ON c.run_id = r.id WHERE r.status = 'RUNNING' GROUP BY 1, 2""",
                rs -> new CheckpointAge(rs.getString(1), rs.getString(2), rs.getDouble(3)));
        long auditHead = jdbc.query("SELECT coalesce(max(id), 0) FROM audit_events", rs -> rs.getLong(1)).get(0);
        return new Snapshot(runs, stages, workers, training, checkpoints, auditHead);
    }
}
