package dev.lmforge.services.ledger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.services.ledger.Records.ArtifactRecord;
import dev.lmforge.services.ledger.Records.AttemptRecord;
import dev.lmforge.services.ledger.Records.CheckpointRecord;
import dev.lmforge.services.ledger.Records.EvaluationResult;
import dev.lmforge.services.ledger.Records.LineageEdge;
import dev.lmforge.services.ledger.Records.LineageGraph;
import dev.lmforge.services.ledger.Records.LineageStage;
import dev.lmforge.services.ledger.Records.MetricPoint;
import dev.lmforge.services.ledger.Records.MetricSummary;
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
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The ledger in PostgreSQL: runs, stage executions and their attempts, artifacts, lineage and metrics. Both
 * planes use it: the control plane for runs and stages, compute workers for attempts, artifacts and metrics.
 * The audit log is {@link AuditLog}.
 */
public final class MetadataStore {

    /** Statuses after which a run never changes again (except by a resume, which is a new run). */
    public static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED", "INTERRUPTED");

    private static final ObjectMapper JSON = new ObjectMapper();
    private final DataSource dataSource;

    public MetadataStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Brings the schema up to date (Flyway, migrations under {@code db/lmforge}). */
    public void migrate() {
        Flyway.configure(MetadataStore.class.getClassLoader())
                .dataSource(dataSource)
                .locations("classpath:db/lmforge")
                .load()
                .migrate();
    }

    public DataSource dataSource() {
        return dataSource;
    }

    // ---- runs

    /** Inserts a new run with status {@code QUEUED}. */
    public void createRun(NewRun run) {
        update("INSERT INTO runs (id, name, team, owner, spec, spec_source, planned_stages, status, resumed_from) "
                        + "VALUES (?, ?, ?, ?, ?::jsonb, ?, ?, 'QUEUED', ?)", run.id(), run.name(), run.team(), run.owner(),
                run.specJson(), run.specSource(), run.plannedStages().toArray(String[]::new), run.resumedFrom());
    }

    /** Removes a run that never started (its workflow could not be started), so nothing half-made remains. */
    public void deleteUnstartedRun(String id) {
        update("DELETE FROM runs WHERE id = ? AND status = 'QUEUED' AND workflow_id IS NULL", id);
    }

    public void setWorkflowIds(String runId, String workflowId, String temporalRunId) {
        update("UPDATE runs SET workflow_id = ?, temporal_run_id = ? WHERE id = ?", workflowId, temporalRunId, runId);
    }

    /**
     * Sets a run's status. {@code started_at} is set the first time it runs, {@code ended_at} when it ends. A run
     * already in a terminal state is left alone, so a late write cannot revive it. Says whether the run changed.
     */
    public boolean setRunStatus(String runId, String status, String error) {
        boolean terminal = TERMINAL.contains(status);
        return update("UPDATE runs SET status = ?, error = COALESCE(?, error), "
                        + "started_at = CASE WHEN ? = 'RUNNING' AND started_at IS NULL THEN now() ELSE started_at END, "
                        + "ended_at = CASE WHEN ? THEN now() ELSE ended_at END "
                        + "WHERE id = ? AND status NOT IN ('SUCCEEDED', 'FAILED', 'CANCELLED', 'INTERRUPTED')",
                status, error, status, terminal, runId);
    }

    public Optional<RunRecord> run(String id) {
        return queryOne("SELECT * FROM runs WHERE id = ?", MetadataStore::runOf, id);
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
        long total = queryOne("SELECT count(*) FROM runs" + where, rs -> rs.getLong(1), params.toArray()).orElse(0L);
        List<Object> pageParams = new ArrayList<>(params);
        pageParams.add(limit);
        pageParams.add(offset);
        Map<String, List<String>> planned = new LinkedHashMap<>();
        List<RunSummary> bare = query("SELECT id, name, team, owner, status, resumed_from, created_at, started_at, ended_at, "
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
        query("SELECT DISTINCT ON (run_id, stage) run_id, stage, status FROM stages WHERE run_id = ANY (?) "
                + "ORDER BY run_id, stage, id DESC", rs -> byRun.computeIfAbsent(rs.getString(1), k -> new LinkedHashMap<>())
                .put(rs.getString(2), rs.getString(3)), (Object) runIds.toArray(String[]::new));
        return byRun;
    }

    /** Runs whose status is one of {@code statuses}. */
    public List<RunRecord> runsWithStatus(Set<String> statuses) {
        return query("SELECT * FROM runs WHERE status = ANY (?) ORDER BY created_at",
                MetadataStore::runOf, (Object) statuses.toArray(String[]::new));
    }

    /** Marks a run, and any of its stages still open, {@code INTERRUPTED}. */
    public void interruptRun(String runId, String reason) {
        inTransaction(c -> {
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
        return queryOne("SELECT * FROM stages WHERE cache_key = ? AND status = 'SUCCEEDED' ORDER BY id DESC LIMIT 1",
                this::stageOf, cacheKey);
    }

    /**
     * Opens a stage row with its consumed inputs (name → digest). With {@code reusedFrom}, the row is a cache hit:
     * it is born {@code REUSED}, and the produced edges and summary of the reused row are copied to it.
     */
    public long beginStage(String runId, String stage, int codeVersion, String cacheKey, String configJson,
                           Map<String, String> inputs, Long reusedFrom) {
        return inTransaction(c -> {
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
        inTransaction(c -> {
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
        return update("UPDATE stages SET status = ?, error = ?, ended_at = now() WHERE id = ? AND status = 'RUNNING'",
                status, error, stageId);
    }

    /**
     * Gives running stage {@code stageId} one of its team's slots on {@code queue} if the team holds fewer than
     * {@code limit} there (a stage that holds one keeps it); false while the team is at its limit. Claims of one
     * team and queue are serialised by an advisory lock, so two stages cannot both take the last slot. A slot is
     * freed when its stage stops running.
     */
    public boolean claimSlot(long stageId, String queue, int limit) {
        return inTransaction(c -> {
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
            try (var ps = prepare(c, "SELECT pg_advisory_xact_lock(hashtext(?))", (team == null ? "" : team) + "/" + queue)) {
                ps.execute();
            }
            long holding;
            try (var ps = prepare(c, "SELECT count(*) FROM stages s JOIN runs r ON r.id = s.run_id "
                    + "WHERE s.status = 'RUNNING' AND s.slot_queue = ? AND r.team IS NOT DISTINCT FROM ?", queue, team);
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                holding = rs.getLong(1);
            }
            if (holding >= limit) {
                return false;
            }
            execute(c, "UPDATE stages SET slot_queue = ? WHERE id = ?", queue, stageId);
            return true;
        });
    }

    public Optional<StageRecord> stage(long id) {
        return queryOne("SELECT * FROM stages WHERE id = ?", this::stageOf, id);
    }

    /** A run's stage rows in the order they started, with their lineage and attempts. */
    public List<StageRecord> stages(String runId) {
        return query("SELECT * FROM stages WHERE run_id = ? ORDER BY id", this::stageOf, runId);
    }

    // ---- attempts

    /**
     * Records that an attempt started on {@code worker}. Earlier attempts still marked running were lost with
     * their worker (a retry only starts once Temporal has given up on them).
     */
    public void attemptStarted(long stageId, int attempt, String worker, String resumedFromCheckpoint) {
        inTransaction(c -> {
            execute(c, "UPDATE stage_attempts SET status = 'LOST', ended_at = now() WHERE stage_id = ? AND status = 'RUNNING'",
                    stageId);
            execute(c, "INSERT INTO stage_attempts (stage_id, attempt, worker, status, resumed_from_checkpoint) "
                    + "VALUES (?, ?, ?, 'RUNNING', ?) ON CONFLICT (stage_id, attempt) DO UPDATE SET worker = EXCLUDED.worker, "
                    + "status = 'RUNNING', started_at = now(), ended_at = NULL", stageId, attempt, worker, resumedFromCheckpoint);
            return null;
        });
    }

    public void attemptEnded(long stageId, int attempt, String status, String error) {
        update("UPDATE stage_attempts SET status = ?, error = ?, ended_at = now() WHERE stage_id = ? AND attempt = ?",
                status, error, stageId, attempt);
    }

    // ---- artifacts and lineage

    /** Records an artifact's metadata; recording the same digest again keeps the first record. */
    public void recordArtifact(String digest, String kind, long sizeBytes, String metadataJson) {
        update("INSERT INTO artifacts (digest, kind, size_bytes, metadata) VALUES (?, ?, ?, ?::jsonb) "
                + "ON CONFLICT (digest) DO NOTHING", digest, kind, sizeBytes, metadataJson == null ? "{}" : metadataJson);
    }

    public Optional<ArtifactRecord> artifact(String digest) {
        return queryOne("SELECT * FROM artifacts WHERE digest = ?", MetadataStore::artifactOf, digest);
    }

    // ---- training checkpoints

    /** Records that the stage execution with {@code cacheKey} wrote checkpoint {@code digest} after {@code step}. */
    public void recordCheckpoint(String cacheKey, long step, String role, String digest, String runId) {
        update("INSERT INTO checkpoints (cache_key, step, role, digest, run_id) VALUES (?, ?, ?, ?, ?) "
                + "ON CONFLICT (cache_key, step, role) DO UPDATE SET digest = EXCLUDED.digest, run_id = EXCLUDED.run_id, "
                + "pruned = false", cacheKey, step, role, digest, runId);
    }

    /** The checkpoints of executions with {@code cacheKey} that are not pruned, the newest step first. */
    public List<CheckpointRecord> checkpoints(String cacheKey) {
        return query("SELECT * FROM checkpoints WHERE cache_key = ? AND NOT pruned ORDER BY step DESC, at DESC",
                rs -> new CheckpointRecord(rs.getString("cache_key"), rs.getLong("step"), rs.getString("role"),
                        rs.getString("digest"), rs.getString("run_id")), cacheKey);
    }

    /**
     * Marks a checkpoint pruned; returns whether no other unpruned checkpoint row shares its digest, that is
     * whether its bytes may be deleted.
     */
    public boolean pruneCheckpoint(String cacheKey, long step, String role) {
        return inTransaction(c -> {
            String digest = null;
            try (PreparedStatement ps = prepare(c, "UPDATE checkpoints SET pruned = true WHERE cache_key = ? AND step = ? "
                    + "AND role = ? RETURNING digest", cacheKey, step, role); ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    digest = rs.getString(1);
                }
            }
            if (digest == null) {
                return false;
            }
            try (PreparedStatement ps = prepare(c, "SELECT count(*) FROM checkpoints WHERE digest = ? AND NOT pruned",
                    digest); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1) == 0;
            }
        });
    }

    /**
     * The lineage of an artifact. {@code up}: the stages that produced it, what they consumed, and so on back to
     * the raw inputs; {@code down}: the stages that consumed it, what they produced, and so on.
     */
    public LineageGraph lineage(String digest, boolean up) {
        String from = up ? "produced" : "consumed";
        String to = up ? "consumed" : "produced";
        String sql = "WITH RECURSIVE walk(artifact) AS (SELECT ?::text UNION "
                + "SELECT next.artifact FROM walk JOIN lineage hop ON hop.artifact = walk.artifact AND hop.direction = '" + from + "' "
                + "JOIN lineage next ON next.stage_id = hop.stage_id AND next.direction = '" + to + "') "
                + "SELECT DISTINCT l.stage_id, l.artifact, l.direction, l.name, l.reused FROM walk "
                + "JOIN lineage l ON l.artifact = walk.artifact AND l.direction = '" + from + "' "
                + "UNION SELECT l2.stage_id, l2.artifact, l2.direction, l2.name, l2.reused FROM walk "
                + "JOIN lineage l ON l.artifact = walk.artifact AND l.direction = '" + from + "' "
                + "JOIN lineage l2 ON l2.stage_id = l.stage_id AND l2.direction = '" + to + "' ORDER BY 1, 3, 4";
        List<LineageEdge> edges = query(sql, rs -> new LineageEdge(rs.getLong(1), rs.getString(2), rs.getString(3),
                rs.getString(4), rs.getBoolean(5)), digest);
        Set<String> digests = new java.util.TreeSet<>();
        digests.add(digest);
        Set<Long> stageIds = new java.util.TreeSet<>();
        edges.forEach(e -> {
            digests.add(e.artifact());
            stageIds.add(e.stageId());
        });
        List<ArtifactRecord> artifacts = query("SELECT * FROM artifacts WHERE digest = ANY (?) ORDER BY digest",
                MetadataStore::artifactOf, (Object) digests.toArray(String[]::new));
        List<LineageStage> stages = query("SELECT id, run_id, stage, status, reused_from FROM stages WHERE id = ANY (?) ORDER BY id",
                rs -> new LineageStage(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        (Long) rs.getObject(5)), (Object) stageIds.toArray(Long[]::new));
        return new LineageGraph(artifacts, stages, edges);
    }

    // ---- metrics

    public void recordMetric(String runId, String stage, String name, long step, double value) {
        recordMetrics(runId, stage, name, List.of(new MetricPoint(step, value)));
    }

    /** Appends many points of one series in one transaction (one round trip per batch, not per point). */
    public void recordMetrics(String runId, String stage, String name, List<MetricPoint> points) {
        inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO metrics (run_id, stage, name, step, value) VALUES (?, ?, ?, ?, ?)")) {
                for (MetricPoint p : points) {
                    ps.setString(1, runId);
                    ps.setString(2, stage);
                    ps.setString(3, name);
                    ps.setLong(4, p.step());
                    ps.setDouble(5, p.value());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
    }

    /**
     * A numeric figure of the newest succeeded (run, not reused) stages named {@code stage}, newest first: what this
     * platform's workers measured, e.g. pretraining's {@code modelFlopsPerSecond}.
     */
    public List<Double> recentStageFigures(String stage, String figure, int limit) {
        return query("SELECT (summary->>?)::float8 FROM stages WHERE stage = ? AND status = 'SUCCEEDED' "
                        + "AND summary->>? IS NOT NULL ORDER BY ended_at DESC LIMIT ?",
                rs -> rs.getDouble(1), figure, stage, figure, limit);
    }

    /** Each metric series of a run with its point count and last value. */
    public List<MetricSummary> metricSummaries(String runId) {
        return query("SELECT DISTINCT ON (stage, name) stage, name, count(*) OVER (PARTITION BY stage, name), step, value "
                        + "FROM metrics WHERE run_id = ? ORDER BY stage, name, step DESC, at DESC",
                rs -> new MetricSummary(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getDouble(5)), runId);
    }

    /**
     * One series, downsampled on the server to at most {@code maxPoints} (at least 2): the first point, every k-th
     * after it and the last, with k = ceil((n - 1) / (maxPoints - 1)).
     */
    public List<MetricPoint> metricSeries(String runId, String stage, String name, int maxPoints) {
        return query("WITH s AS (SELECT step, value, row_number() OVER (ORDER BY step) AS i, count(*) OVER () AS n "
                        + "FROM metrics WHERE run_id = ? AND stage = ? AND name = ?) "
                        + "SELECT step, value FROM s WHERE (i - 1) % GREATEST(1, CEIL((n - 1)::numeric / ?)::int) = 0 "
                        + "OR i = n ORDER BY step",
                rs -> new MetricPoint(rs.getLong(1), rs.getDouble(2)), runId, stage, name, Math.max(2, maxPoints) - 1);
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
        query("SELECT direction, name, artifact FROM lineage WHERE stage_id = ? ORDER BY name", r -> {
            (r.getString(1).equals("consumed") ? inputs : outputs).put(r.getString(2), r.getString(3));
            return null;
        }, id);
        List<AttemptRecord> attempts = query("SELECT * FROM stage_attempts WHERE stage_id = ? ORDER BY attempt",
                r -> new AttemptRecord(r.getInt("attempt"), r.getString("worker"), r.getString("status"),
                        r.getString("resumed_from_checkpoint"), r.getString("error"), instant(r, "started_at"),
                        instant(r, "ended_at")), id);
        return new StageRecord(id, rs.getString("run_id"), rs.getString("stage"), rs.getString("status"),
                rs.getString("cache_key"), rs.getInt("code_version"), rs.getString("config"), rs.getString("summary"),
                (Long) rs.getObject("reused_from"), rs.getString("error"), instant(rs, "started_at"),
                instant(rs, "ended_at"), inputs, outputs, attempts, rs.getString("slot_queue"));
    }

    private static ArtifactRecord artifactOf(ResultSet rs) throws SQLException {
        return new ArtifactRecord(rs.getString("digest"), rs.getString("kind"), rs.getLong("size_bytes"),
                rs.getString("metadata"), instant(rs, "created_at"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }

    // ---- evaluation results

    /** Records evaluation figures; a figure recorded again for the same run, stage, task and metric replaces it. */
    public void recordEvaluations(List<EvaluationResult> results) {
        inTransaction(c -> {
            for (EvaluationResult r : results) {
                execute(c, "INSERT INTO evaluation_results (run_id, stage, model, task, metric, value, n, stderr) "
                                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, stage, task, metric) DO UPDATE "
                                + "SET model = EXCLUDED.model, value = EXCLUDED.value, n = EXCLUDED.n, "
                                + "stderr = EXCLUDED.stderr, at = now()",
                        r.runId(), r.stage(), r.model(), r.task(), r.metric(), r.value(), r.n(), r.stderr());
            }
            return null;
        });
    }

    /** A run's evaluation figures, by stage, task and metric. */
    public List<EvaluationResult> evaluations(String runId) {
        return query("SELECT * FROM evaluation_results WHERE run_id = ? ORDER BY stage, task, metric",
                rs -> new EvaluationResult(rs.getString("run_id"), rs.getString("stage"), rs.getString("model"),
                        rs.getString("task"), rs.getString("metric"), rs.getDouble("value"), rs.getLong("n"),
                        (Double) rs.getObject("stderr")), runId);
    }

    /** Serialises a name → digest map or a summary for a jsonb column. */
    public static String toJson(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not serialisable as JSON: " + e.getMessage(), e);
        }
    }

    /** Reads a jsonb column holding an object of numbers. */
    public static Map<String, Double> summaryOf(String json) {
        try {
            return json == null ? Map.of() : JSON.readValue(json, new TypeReference<Map<String, Double>>() { });
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stage summary is not a map of numbers: " + json, e);
        }
    }

    // ---- JDBC plumbing

    interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    interface TransactionBody<T> {
        T run(Connection c) throws SQLException;
    }

    <T> T inTransaction(TransactionBody<T> body) {
        try (Connection c = dataSource.getConnection()) {
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                T result = body.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(auto);
            }
        } catch (SQLException e) {
            throw new LedgerException(e);
        }
    }

    /** Runs one statement in its own transaction; true when it changed a row. */
    private boolean update(String sql, Object... params) {
        return inTransaction(c -> execute(c, sql, params) > 0);
    }

    <T> List<T> query(String sql, RowMapper<T> mapper, Object... params) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = prepare(c, sql, params);
             ResultSet rs = ps.executeQuery()) {
            List<T> rows = new ArrayList<>();
            while (rs.next()) {
                rows.add(mapper.map(rs));
            }
            return rows;
        } catch (SQLException e) {
            throw new LedgerException(e);
        }
    }

    private <T> Optional<T> queryOne(String sql, RowMapper<T> mapper, Object... params) {
        List<T> rows = query(sql, mapper, params);
        return rows.isEmpty() ? Optional.empty() : Optional.ofNullable(rows.get(0));
    }

    static int execute(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, params)) {
            return ps.executeUpdate();
        }
    }

    static PreparedStatement prepare(Connection c, String sql, Object... params) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        for (int i = 0; i < params.length; i++) {
            Object p = params[i];
            if (p instanceof String[] strings) {
                ps.setArray(i + 1, c.createArrayOf("text", strings));
            } else if (p instanceof Long[] longs) {
                ps.setArray(i + 1, c.createArrayOf("bigint", longs));
            } else {
                ps.setObject(i + 1, p);
            }
        }
        return ps;
    }
}
