package dev.lmforge.services.ledger;

import static dev.lmforge.services.ledger.Jdbc.execute;
import static dev.lmforge.services.ledger.Jdbc.instant;
import static dev.lmforge.services.ledger.Jdbc.prepare;

import dev.lmforge.services.ledger.Records.AttemptRecord;
import dev.lmforge.services.ledger.Records.NewRun;
import dev.lmforge.services.ledger.Records.Page;
import dev.lmforge.services.ledger.Records.RunRecord;
import dev.lmforge.services.ledger.Records.RunSummary;
import dev.lmforge.services.ledger.Records.StageProgress;
import dev.lmforge.services.ledger.Records.StageRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Runs, their stage executions, the attempts of each and the slots they hold, in the ledger. The control plane
 * opens and ends runs and stages; compute workers record attempts.
 */
public final class RunStore {

    /** Statuses after which a run never changes again (except by a resume, which is a new run). */
    public static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED", "INTERRUPTED");

    private final Jdbc jdbc;

    public RunStore(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    // ---- runs

    /** Inserts a new run with status {@code QUEUED}. */
    public void createRun(NewRun run) {
        jdbc.update("INSERT INTO runs (id, name, team, owner, spec, spec_source, planned_stages, status, resumed_from) "
                        + "VALUES (?, ?, ?, ?, ?::jsonb, ?, ?, 'QUEUED', ?)", run.id(), run.name(), run.team(), run.owner(),
                run.specJson(), run.specSource(), run.plannedStages().toArray(String[]::new), run.resumedFrom());
    }

    /** Removes a run that never started (its workflow could not be started), so nothing half-made remains. */
    public void deleteUnstartedRun(String id) {
        jdbc.update("DELETE FROM runs WHERE id = ? AND status = 'QUEUED' AND workflow_id IS NULL", id);
    }

    public void setWorkflowIds(String runId, String workflowId, String temporalRunId) {
        jdbc.update("UPDATE runs SET workflow_id = ?, temporal_run_id = ? WHERE id = ?", workflowId, temporalRunId, runId);
    }

    /**
     * Sets a run's status. {@code started_at} is set the first time it runs, {@code ended_at} when it ends. A run
     * already in a terminal state is left alone, so a late write cannot revive it. Says whether the run changed.
     */
    public boolean setRunStatus(String runId, String status, String error) {
        boolean terminal = TERMINAL.contains(status);
        return jdbc.update("UPDATE runs SET status = ?, error = COALESCE(?, error), "
                        + "started_at = CASE WHEN ? = 'RUNNING' AND started_at IS NULL THEN now() ELSE started_at END, "
                        + "ended_at = CASE WHEN ? THEN now() ELSE ended_at END "
                        + "WHERE id = ? AND status NOT IN ('SUCCEEDED', 'FAILED', 'CANCELLED', 'INTERRUPTED')",
                status, error, status, terminal, runId);
    }

    public Optional<RunRecord> run(String id) {
        return jdbc.queryOne("SELECT * FROM runs WHERE id = ?", RunStore::runOf, id);
    }

    /**
     * Summaries of runs newest first, optionally only those with {@code status} and those whose name starts with
     * {@code namePrefix} (case-sensitive). A prefix, not a substring, so that a B-tree index on the name can
     * serve it; {@code %}, {@code _} and {@code \} in the prefix match themselves. With {@code teams}, only the
     * runs of those teams (null: every run). Three queries whatever the page size; no spec is read.
     */
    public Page<RunSummary> runSummaries(String status, String namePrefix, Collection<String> teams, int limit, int offset) {
        List<String> conditions = new ArrayList<>();
        List<Object> params = new ArrayList<>();
        if (teams != null) {
            conditions.add("team = ANY (?)");
            params.add(teams.toArray(String[]::new));
        }
        if (status != null) {
            conditions.add("status = ?");
            params.add(status);
        }
        if (namePrefix != null && !namePrefix.isEmpty()) {
            conditions.add("name LIKE ? ESCAPE '\\'");
            params.add(namePrefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%");
        }
        String where = conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions);
        long total = jdbc.queryOne("SELECT count(*) FROM runs" + where, rs -> rs.getLong(1), params.toArray()).orElse(0L);
        List<Object> pageParams = new ArrayList<>(params);
        pageParams.add(limit);
        pageParams.add(offset);
        Map<String, List<String>> planned = new LinkedHashMap<>();
        List<RunSummary> bare = jdbc.query("SELECT id, name, team, owner, status, resumed_from, created_at, started_at, ended_at, "
                        + "planned_stages FROM runs" + where + " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?", rs -> {
                    planned.put(rs.getString("id"), List.of((String[]) rs.getArray("planned_stages").getArray()));
                    return new RunSummary(rs.getString("id"), rs.getString("name"), rs.getString("team"), rs.getString("owner"),
                            rs.getString("status"), rs.getString("resumed_from"), instant(rs, "created_at"),
                            instant(rs, "started_at"), instant(rs, "ended_at"), List.of());
                }, pageParams.toArray());
        Map<String, Map<String, String>> statuses = newestStageStatuses(List.copyOf(planned.keySet()));
        List<RunSummary> items = bare.stream().map(r -> {
            Map<String, String> byStage = statuses.getOrDefault(r.id(), Map.of());
            List<StageProgress> stages = planned.get(r.id()).stream()
                    .map(s -> new StageProgress(s, byStage.getOrDefault(s, "PENDING"))).toList();
            return new RunSummary(r.id(), r.name(), r.team(), r.owner(), r.status(), r.resumedFrom(), r.createdAt(),
                    r.startedAt(), r.endedAt(), stages);
        }).toList();
        return new Page<>(items, total, limit, offset);
    }

    /** For each of {@code runIds}, the status of each stage's newest row (stage → status), in one query. */
    private Map<String, Map<String, String>> newestStageStatuses(List<String> runIds) {
        Map<String, Map<String, String>> byRun = new LinkedHashMap<>();
        jdbc.query("SELECT DISTINCT ON (run_id, stage) run_id, stage, status FROM stages WHERE run_id = ANY (?) "
                + "ORDER BY run_id, stage, id DESC", rs -> byRun.computeIfAbsent(rs.getString(1), k -> new LinkedHashMap<>())
                .put(rs.getString(2), rs.getString(3)), (Object) runIds.toArray(String[]::new));
        return byRun;
    }

    /** Runs whose status is one of {@code statuses}. */
    public List<RunRecord> runsWithStatus(Set<String> statuses) {
        return jdbc.query("SELECT * FROM runs WHERE status = ANY (?) ORDER BY created_at",
                RunStore::runOf, (Object) statuses.toArray(String[]::new));
    }

    /** Marks a run, and any of its stages still open, {@code INTERRUPTED}. */
    public void interruptRun(String runId, String reason) {
        jdbc.inTransaction(c -> {
            execute(c, "UPDATE stages SET status = 'INTERRUPTED', error = ?, ended_at = now() "
                    + "WHERE run_id = ? AND status = 'RUNNING'", reason, runId);
            execute(c, "UPDATE stage_attempts SET status = 'LOST', ended_at = now() WHERE status = 'RUNNING' "
                    + "AND stage_id IN (SELECT id FROM stages WHERE run_id = ?)", runId);
            execute(c, "UPDATE runs SET status = 'INTERRUPTED', error = ?, ended_at = now() WHERE id = ?", reason, runId);
            return null;
        });
    }

    // ---- stages

    /** The newest succeeded stage row with this cache key, if any. */
    public Optional<StageRecord> succeededStageWithKey(String cacheKey) {
        return jdbc.queryOne("SELECT * FROM stages WHERE cache_key = ? AND status = 'SUCCEEDED' ORDER BY id DESC LIMIT 1",
                this::stageOf, cacheKey);
    }

    /**
     * Opens a stage row with its consumed inputs (name → digest). With {@code reusedFrom}, the row is a cache hit:
     * it is born {@code REUSED}, and the produced edges and summary of the reused row are copied to it.
     */
    public long beginStage(String runId, String stage, int codeVersion, String cacheKey, String configJson,
                           Map<String, String> inputs, Long reusedFrom) {
        return jdbc.inTransaction(c -> {
            long id;
            try (PreparedStatement ps = prepare(c, "INSERT INTO stages (run_id, stage, status, cache_key, code_version, "
                            + "config, reused_from, summary, ended_at) VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, "
                            + "(SELECT summary FROM stages WHERE id = ?), CASE WHEN ? THEN now() END) RETURNING id",
                    runId, stage, reusedFrom == null ? "RUNNING" : "REUSED", cacheKey, codeVersion, configJson,
                    reusedFrom, reusedFrom, reusedFrom != null); ResultSet rs = ps.executeQuery()) {
                rs.next();
                id = rs.getLong(1);
            }
            for (Map.Entry<String, String> in : inputs.entrySet()) {
                execute(c, "INSERT INTO lineage (stage_id, direction, name, artifact, reused) VALUES (?, 'consumed', ?, ?, false)",
                        id, in.getKey(), in.getValue());
            }
            if (reusedFrom != null) {
                execute(c, "INSERT INTO lineage (stage_id, direction, name, artifact, reused) "
                        + "SELECT ?, direction, name, artifact, true FROM lineage WHERE stage_id = ? AND direction = 'produced'",
                        id, reusedFrom);
            }
            return id;
        });
    }

    /** Marks a stage succeeded with its outputs (name → digest, each already recorded as an artifact). */
    public void stageSucceeded(long stageId, Map<String, String> outputs, String summaryJson) {
        jdbc.inTransaction(c -> {
            for (Map.Entry<String, String> out : outputs.entrySet()) {
                execute(c, "INSERT INTO lineage (stage_id, direction, name, artifact) VALUES (?, 'produced', ?, ?)",
                        stageId, out.getKey(), out.getValue());
            }
            execute(c, "UPDATE stages SET status = 'SUCCEEDED', summary = ?::jsonb, ended_at = now() WHERE id = ?",
                    summaryJson, stageId);
            return null;
        });
    }

    /**
     * Ends a stage that did not succeed ({@code FAILED}, {@code CANCELLED}, {@code INTERRUPTED}); says whether it was
     * still running (a stage that already ended is left alone).
     */
    public boolean stageEnded(long stageId, String status, String error) {
        return jdbc.inTransaction(c -> {
            boolean ended = execute(c, "UPDATE stages SET status = ?, error = ?, ended_at = now() "
                    + "WHERE id = ? AND status = 'RUNNING'", status, error, stageId) > 0;
            // An attempt still marked running lost its worker (a live one would have ended before its stage did).
            execute(c, "UPDATE stage_attempts SET status = 'LOST', ended_at = now(), error = coalesce(error, ?) "
                    + "WHERE stage_id = ? AND status = 'RUNNING'", "its worker stopped before the stage ended "
                    + status, stageId);
            return ended;
        });
    }

    /**
     * A stage of the team ({@code ?}, null for none) that waits for a slot: running, holding none and not yet
     * begun on a worker (as {@link StageRecord#waitingForSlot()}), among the stages that run on the queue in
     * question ({@code ?}, their names). A stage asks for its slot as soon as its row opens, so its row's
     * {@code started_at} (ties: its id) is when it first asked: the order in which waiting stages are served.
     */
    private static final String WAITING_FOR_SLOT = "s.status = 'RUNNING' AND s.slot_queue IS NULL "
            + "AND r.team IS NOT DISTINCT FROM ? AND s.stage = ANY (?) "
            + "AND NOT EXISTS (SELECT 1 FROM stage_attempts a WHERE a.stage_id = s.id)";

    /**
     * Gives running stage {@code stageId} one of its team's slots on {@code queue} if the stages of its team that
     * hold one there, with those that have waited for one longer ({@link #WAITING_FOR_SLOT}), are fewer than
     * {@code limit}: a freed slot goes to the team's oldest waiting stage, and no later stage overtakes it (a stage
     * that holds one keeps it); false while the team is at its limit. Claims of one team and queue are serialised
     * by an advisory lock, so two stages cannot both take the last slot. A slot is freed when its stage stops
     * running. {@code stagesOnQueue} names the stages that run on {@code queue}, which the ones waiting for it are.
     */
    public boolean claimSlot(long stageId, String queue, int limit, Collection<String> stagesOnQueue) {
        return jdbc.inTransaction(c -> {
            String team;
            String held;
            try (var ps = prepare(c, "SELECT r.team, s.slot_queue FROM stages s JOIN runs r ON r.id = s.run_id "
                    + "WHERE s.id = ?", stageId); ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new IllegalArgumentException("no stage row " + stageId);
                }
                team = rs.getString(1);
                held = rs.getString(2);
            }
            if (queue.equals(held)) {
                return true;
            }
            lockSlots(c, team, queue);
            long ahead;
            try (var ps = prepare(c, "SELECT (SELECT count(*) FROM stages s JOIN runs r ON r.id = s.run_id "
                            + "WHERE s.status = 'RUNNING' AND s.slot_queue = ? AND r.team IS NOT DISTINCT FROM ?) "
                            + "+ (SELECT count(*) FROM stages s JOIN runs r ON r.id = s.run_id, stages me "
                            + "WHERE me.id = ? AND " + WAITING_FOR_SLOT
                            + " AND (s.started_at, s.id) < (me.started_at, me.id))",
                    queue, team, stageId, team, stagesOnQueue.toArray(String[]::new));
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                ahead = rs.getLong(1);
            }
            if (ahead >= limit) {
                return false;
            }
            execute(c, "UPDATE stages SET slot_queue = ? WHERE id = ?", queue, stageId);
            return true;
        });
    }

    /**
     * The workflow ids of the runs whose stages may now take a slot of stage {@code stageId}'s team on
     * {@code queue}: its oldest waiting stages ({@link #WAITING_FOR_SLOT}), as many as the team has slots free
     * there, so that a stage that releases or takes a slot can wake the next in line at once.
     */
    public List<String> slotWaitersToWake(long stageId, String queue, int limit, Collection<String> stagesOnQueue) {
        return jdbc.inTransaction(c -> {
            String team;
            try (var ps = prepare(c, "SELECT r.team FROM stages s JOIN runs r ON r.id = s.run_id WHERE s.id = ?",
                    stageId); ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return List.of();
                }
                team = rs.getString(1);
            }
            lockSlots(c, team, queue);
            List<String> workflowIds = new ArrayList<>();
            try (var ps = prepare(c, "SELECT r.workflow_id FROM stages s JOIN runs r ON r.id = s.run_id WHERE "
                            + WAITING_FOR_SLOT + " AND r.workflow_id IS NOT NULL ORDER BY s.started_at, s.id "
                            + "LIMIT greatest(0, ? - (SELECT count(*) FROM stages s JOIN runs r ON r.id = s.run_id "
                            + "WHERE s.status = 'RUNNING' AND s.slot_queue = ? AND r.team IS NOT DISTINCT FROM ?))",
                    team, stagesOnQueue.toArray(String[]::new), limit, queue, team); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    workflowIds.add(rs.getString(1));
                }
            }
            return workflowIds;
        });
    }

    /** Serialises the claims of one team's slots on one queue, to the end of the transaction. */
    private static void lockSlots(Connection c, String team, String queue) throws SQLException {
        try (var ps = prepare(c, "SELECT pg_advisory_xact_lock(hashtext(?))", (team == null ? "" : team) + "/" + queue)) {
            ps.execute();
        }
    }

    public Optional<StageRecord> stage(long id) {
        return jdbc.queryOne("SELECT * FROM stages WHERE id = ?", this::stageOf, id);
    }

    /** A run's stage rows in the order they started, with their lineage and attempts. */
    public List<StageRecord> stages(String runId) {
        return jdbc.query("SELECT * FROM stages WHERE run_id = ? ORDER BY id", this::stageOf, runId);
    }

    // ---- attempts

    /**
     * Records that an attempt started on {@code worker}. Earlier attempts still marked running were lost with
     * their worker (a retry only starts once Temporal has given up on them).
     */
    public void attemptStarted(long stageId, int attempt, String worker, String resumedFromCheckpoint) {
        jdbc.inTransaction(c -> {
            execute(c, "UPDATE stage_attempts SET status = 'LOST', ended_at = now() WHERE stage_id = ? AND status = 'RUNNING'",
                    stageId);
            execute(c, "INSERT INTO stage_attempts (stage_id, attempt, worker, status, resumed_from_checkpoint) "
                    + "VALUES (?, ?, ?, 'RUNNING', ?) ON CONFLICT (stage_id, attempt) DO UPDATE SET worker = EXCLUDED.worker, "
                    + "status = 'RUNNING', started_at = now(), ended_at = NULL", stageId, attempt, worker, resumedFromCheckpoint);
            return null;
        });
    }

    public void attemptEnded(long stageId, int attempt, String status, String error) {
        jdbc.update("UPDATE stage_attempts SET status = ?, error = ?, ended_at = now() WHERE stage_id = ? AND attempt = ?",
                status, error, stageId, attempt);
    }

    /**
     * Attempts beyond the first not yet audited as retries, oldest first, each with the attempt before it (null if
     * that one was never recorded): all of them, or those of stage row {@code stageId} when it is not null.
     */
    public List<Retry> unauditedRetries(Long stageId) {
        return jdbc.query("SELECT s.run_id, s.stage, a.*, p.status AS previous_status, p.error AS previous_error "
                + "FROM stage_attempts a JOIN stages s ON s.id = a.stage_id "
                + "LEFT JOIN stage_attempts p ON p.stage_id = a.stage_id AND p.attempt = a.attempt - 1 "
                + "WHERE NOT a.retry_audited AND a.attempt > 1 AND (?::bigint IS NULL OR a.stage_id = ?::bigint) "
                + "ORDER BY a.started_at, a.stage_id, a.attempt", rs -> new Retry(rs.getLong("stage_id"),
                rs.getString("run_id"), rs.getString("stage"), rs.getInt("attempt"), rs.getString("worker"),
                instant(rs, "started_at"), rs.getString("previous_status"), rs.getString("previous_error")),
                stageId, stageId);
    }

    /** Records that attempt {@code attempt} of stage row {@code stageId} was audited as a retry. */
    public void retryAudited(long stageId, int attempt) {
        jdbc.update("UPDATE stage_attempts SET retry_audited = true WHERE stage_id = ? AND attempt = ?", stageId, attempt);
    }

    /** An attempt beyond the first, with the status and error of the attempt before it. */
    public record Retry(long stageId, String runId, String stage, int attempt, String worker, Instant startedAt,
                        String previousStatus, String previousError) {
    }

    // ---- stage summaries

    /**
     * A numeric figure of the newest succeeded (run, not reused) stages named {@code stage}, newest first: what this
     * platform's workers measured, e.g. pretraining's {@code modelFlopsPerSecond}.
     */
    public List<Double> recentStageFigures(String stage, String figure, int limit) {
        return jdbc.query("SELECT (summary->>?)::float8 FROM stages WHERE stage = ? AND status = 'SUCCEEDED' "
                        + "AND summary->>? IS NOT NULL ORDER BY ended_at DESC LIMIT ?",
                rs -> rs.getDouble(1), figure, stage, figure, limit);
    }

    // ---- mapping

    private static RunRecord runOf(ResultSet rs) throws SQLException {
        return new RunRecord(rs.getString("id"), rs.getString("name"), rs.getString("team"), rs.getString("owner"),
                rs.getString("spec"), rs.getString("spec_source"), rs.getString("status"), rs.getString("error"),
                rs.getString("workflow_id"), rs.getString("temporal_run_id"), rs.getString("resumed_from"),
                instant(rs, "created_at"), instant(rs, "started_at"), instant(rs, "ended_at"));
    }

    private StageRecord stageOf(ResultSet rs) throws SQLException {
        long id = rs.getLong("id");
        Map<String, String> inputs = new LinkedHashMap<>();
        Map<String, String> outputs = new LinkedHashMap<>();
        jdbc.query("SELECT direction, name, artifact FROM lineage WHERE stage_id = ? ORDER BY name", r -> {
            (r.getString(1).equals("consumed") ? inputs : outputs).put(r.getString(2), r.getString(3));
            return null;
        }, id);
        List<AttemptRecord> attempts = jdbc.query("SELECT * FROM stage_attempts WHERE stage_id = ? ORDER BY attempt",
                r -> new AttemptRecord(r.getInt("attempt"), r.getString("worker"), r.getString("status"),
                        r.getString("resumed_from_checkpoint"), r.getString("error"), instant(r, "started_at"),
                        instant(r, "ended_at")), id);
        return new StageRecord(id, rs.getString("run_id"), rs.getString("stage"), rs.getString("status"),
                rs.getString("cache_key"), rs.getInt("code_version"), rs.getString("config"), rs.getString("summary"),
                (Long) rs.getObject("reused_from"), rs.getString("error"), instant(rs, "started_at"),
                instant(rs, "ended_at"), inputs, outputs, attempts, rs.getString("slot_queue"));
    }
}
