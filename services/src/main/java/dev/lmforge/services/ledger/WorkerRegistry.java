package dev.lmforge.services.ledger;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * Compute workers as they report themselves: each one writes its identity, host, task queues and slots every
 * {@link #REPORT_INTERVAL}, and the console lists those seen within a few intervals, each with the stage attempts
 * the ledger says it is running now.
 */
public final class WorkerRegistry {

    /** How often a worker reports itself. */
    public static final Duration REPORT_INTERVAL = Duration.ofSeconds(10);

    /** One stage attempt a worker is running. */
    public record RunningAttempt(String runId, String stage, int attempt, Instant since) {}

    /** A worker as it last reported itself, with what it runs now. */
    public record WorkerView(String identity, String host, List<String> queues, int slots, Instant startedAt,
                             Instant lastSeen, List<RunningAttempt> running) {}

    /**
     * A worker that answers inference requests: its HTTP address ({@code http://host:port}), the bearer token it
     * accepts, and the model digests it holds loaded, most recently used first.
     */
    public record ServingWorker(String identity, String address, String token, List<String> loadedModels) {}

    private final Jdbc jdbc;

    public WorkerRegistry(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /** Records that the worker {@code identity} is alive, on {@code host}, polling {@code queues} with {@code slots}. */
    public void report(String identity, String host, List<String> queues, int slots, Instant startedAt) {
        jdbc.update("""
                INSERT INTO workers (identity, host, queues, slots, started_at, last_seen) VALUES (?, ?, ?, ?, ?, now())
                ON CONFLICT (identity) DO UPDATE SET host = EXCLUDED.host, queues = EXCLUDED.queues,
                    slots = EXCLUDED.slots, started_at = EXCLUDED.started_at, last_seen = now()""",
                identity, host, queues.toArray(String[]::new), slots, java.sql.Timestamp.from(startedAt));
    }

    /**
     * Records where the worker {@code identity} (already {@link #report reported}) answers inference requests and
     * which models it holds loaded.
     */
    public void reportServing(String identity, String address, String token, List<String> loadedModels) {
        jdbc.update("UPDATE workers SET serving_address = ?, serving_token = ?, serving_models = ? WHERE identity = ?",
                address, token, loadedModels.toArray(String[]::new), identity);
    }

    /**
     * The workers seen within {@code window} that answer inference requests: those holding {@code digest} loaded
     * first, then the most recently seen.
     */
    public List<ServingWorker> servingWithin(Duration window, String digest) {
        return jdbc.query("""
                SELECT identity, serving_address, serving_token, serving_models FROM workers
                WHERE last_seen > now() - make_interval(secs => ?) AND serving_address IS NOT NULL
                ORDER BY ? = ANY (serving_models) DESC, last_seen DESC, identity""",
                rs -> new ServingWorker(rs.getString(1), rs.getString(2), rs.getString(3),
                        Arrays.asList((String[]) rs.getArray(4).getArray())),
                (double) window.toSeconds(), digest);
    }

    /** Workers that reported within {@code window}, newest report first, each with its running attempts. */
    public List<WorkerView> seenWithin(Duration window) {
        List<RunningAttempt> none = List.of();
        List<WorkerView> workers = jdbc.query("""
                SELECT identity, host, queues, slots, started_at, last_seen FROM workers
                WHERE last_seen > now() - make_interval(secs => ?) ORDER BY last_seen DESC, identity""",
                rs -> new WorkerView(rs.getString(1), rs.getString(2),
                        Arrays.asList((String[]) rs.getArray(3).getArray()), rs.getInt(4), Jdbc.instant(rs, "started_at"),
                        Jdbc.instant(rs, "last_seen"), none),
                (double) window.toSeconds());
        if (workers.isEmpty()) {
            return workers;
        }
        record Row(String worker, RunningAttempt attempt) {}
        List<Row> running = jdbc.query("""
                SELECT a.worker, s.run_id, s.stage, a.attempt, a.started_at FROM stage_attempts a
                JOIN stages s ON s.id = a.stage_id WHERE a.status = 'RUNNING' AND a.worker = ANY (?)
                ORDER BY a.started_at""",
                rs -> new Row(rs.getString(1), new RunningAttempt(rs.getString(2), rs.getString(3), rs.getInt(4),
                        Jdbc.instant(rs, "started_at"))),
                (Object) workers.stream().map(WorkerView::identity).toArray(String[]::new));
        return workers.stream().map(w -> new WorkerView(w.identity(), w.host(), w.queues(), w.slots(), w.startedAt(),
                w.lastSeen(), running.stream().filter(r -> r.worker().equals(w.identity())).map(Row::attempt).toList()))
                .toList();
    }
}
