package dev.lmforge.services.ledger;

import static dev.lmforge.services.ledger.Jdbc.instant;
import static dev.lmforge.services.ledger.Jdbc.prepare;

import dev.lmforge.services.ledger.Records.ArtifactRecord;
import dev.lmforge.services.ledger.Records.CheckpointRecord;
import dev.lmforge.services.ledger.Records.LineageEdge;
import dev.lmforge.services.ledger.Records.LineageGraph;
import dev.lmforge.services.ledger.Records.LineageStage;
import dev.lmforge.services.ledger.Records.StoredObjectRecord;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The ledger's record of artifacts (kind, size, metadata; their bytes are in the artifact store), the training
 * checkpoints of each stage execution, and the lineage graph that links artifacts through the stages that consumed
 * and produced them.
 */
public final class ArtifactLedger {

    private final Jdbc jdbc;

    public ArtifactLedger(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    // ---- artifacts

    /**
     * Records an artifact's metadata; recording the same digest again keeps the first record, and clears its
     * deletion by the garbage collector (the bytes were stored again to be recorded).
     */
    public void recordArtifact(String digest, String kind, long sizeBytes, String metadataJson) {
        jdbc.update("INSERT INTO artifacts (digest, kind, size_bytes, metadata) VALUES (?, ?, ?, ?::jsonb) "
                + "ON CONFLICT (digest) DO UPDATE SET deleted_at = NULL WHERE artifacts.deleted_at IS NOT NULL", digest, kind, sizeBytes, metadataJson == null ? "{}" : metadataJson);
    }

    public Optional<ArtifactRecord> artifact(String digest) {
        return jdbc.queryOne("SELECT * FROM artifacts WHERE digest = ?", ArtifactLedger::artifactOf, digest);
    }

    /** Those of {@code digests} whose bytes the garbage collector deleted, sorted. */
    public List<String> deletedAmong(List<String> digests) {
        return jdbc.query("SELECT digest FROM artifacts WHERE digest = ANY (?) AND deleted_at IS NOT NULL ORDER BY digest",
                rs -> rs.getString(1), (Object) digests.toArray(String[]::new));
    }

    // ---- stored objects

    /**
     * Records that {@code object}'s writer stored its bytes (its {@code createdAt} is ignored: the ledger's clock
     * says when); the same object, writer and kind recorded again adds nothing but clears a deletion by the
     * garbage collector (the writer stored the bytes again).
     */
    public void recordStoredObject(StoredObjectRecord object) {
        jdbc.update("INSERT INTO stored_objects (digest, kind, run_id, stage, stage_id, size_bytes) "
                        + "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (digest, kind, coalesce(run_id, ''), coalesce(stage, ''), "
                        + "coalesce(stage_id, 0)) DO UPDATE SET deleted_at = NULL, created_at = now() "
                        + "WHERE stored_objects.deleted_at IS NOT NULL", object.digest(), object.kind(),
                object.runId(), object.stage(), object.stageId(), object.sizeBytes());
    }

    /** The objects the stages of run {@code runId} wrote, in the order they were recorded. */
    public List<StoredObjectRecord> storedObjects(String runId) {
        return jdbc.query("SELECT * FROM stored_objects WHERE run_id = ? ORDER BY created_at, digest",
                ArtifactLedger::storedObjectOf, runId);
    }

    /**
     * The newest execution of stage {@code stage} of the run whose lifecycle workflow is {@code workflowId}: where
     * an activity that is handed no stage input (a data step of the data workflow) finds the stage it works for.
     */
    public Optional<LineageStage> newestStage(String workflowId, String stage) {
        return jdbc.queryOne("SELECT s.id, s.run_id, s.stage, s.status, s.reused_from FROM stages s "
                        + "JOIN runs r ON r.id = s.run_id WHERE r.workflow_id = ? AND s.stage = ? ORDER BY s.id DESC LIMIT 1",
                rs -> new LineageStage(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        (Long) rs.getObject(5)), workflowId, stage);
    }

    private static StoredObjectRecord storedObjectOf(ResultSet rs) throws SQLException {
        return new StoredObjectRecord(rs.getString("digest"), rs.getString("kind"), rs.getString("run_id"),
                rs.getString("stage"), (Long) rs.getObject("stage_id"), rs.getLong("size_bytes"),
                instant(rs, "created_at"));
    }

    /** A model artifact and the run stage that produced it (the first, when several did). */
    public record ProducedModel(String digest, String runId, String stage, String team, Instant createdAt) {
    }

    /**
     * The model artifacts that runs of {@code teams} produced ({@code null}: every team's), newest first, at most
     * {@code limit}.
     */
    public List<ProducedModel> models(List<String> teams, int limit) {
        return jdbc.query("""
                SELECT * FROM (SELECT DISTINCT ON (a.digest) a.digest, s.run_id, s.stage, r.team, a.created_at
                    FROM artifacts a JOIN lineage l ON l.artifact = a.digest AND l.direction = 'produced'
                    JOIN stages s ON s.id = l.stage_id JOIN runs r ON r.id = s.run_id
                    WHERE a.kind = 'model' AND (? OR r.team = ANY (?))
                    ORDER BY a.digest, s.id) m
                ORDER BY created_at DESC, digest LIMIT ?""",
                rs -> new ProducedModel(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        instant(rs, "created_at")),
                teams == null, teams == null ? new String[0] : teams.toArray(String[]::new), limit);
    }

    // ---- training checkpoints

    /** Records that the stage execution with {@code cacheKey} wrote checkpoint {@code digest} after {@code step}. */
    public void recordCheckpoint(String cacheKey, long step, String role, String digest, String runId) {
        jdbc.update("INSERT INTO checkpoints (cache_key, step, role, digest, run_id) VALUES (?, ?, ?, ?, ?) "
                + "ON CONFLICT (cache_key, step, role) DO UPDATE SET digest = EXCLUDED.digest, run_id = EXCLUDED.run_id, "
                + "pruned = false", cacheKey, step, role, digest, runId);
    }

    /** The checkpoints of executions with {@code cacheKey} that are not pruned, the newest step first. */
    public List<CheckpointRecord> checkpoints(String cacheKey) {
        return jdbc.query("SELECT * FROM checkpoints WHERE cache_key = ? AND NOT pruned ORDER BY step DESC, at DESC",
                rs -> new CheckpointRecord(rs.getString("cache_key"), rs.getLong("step"), rs.getString("role"),
                        rs.getString("digest"), rs.getString("run_id")), cacheKey);
    }

    /**
     * Marks a checkpoint pruned; returns whether no other unpruned checkpoint row shares its digest, that is
     * whether its bytes may be deleted.
     */
    public boolean pruneCheckpoint(String cacheKey, long step, String role) {
        return jdbc.inTransaction(c -> {
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

    // ---- lineage

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
        List<LineageEdge> edges = jdbc.query(sql, rs -> new LineageEdge(rs.getLong(1), rs.getString(2), rs.getString(3),
                rs.getString(4), rs.getBoolean(5)), digest);
        Set<String> digests = new java.util.TreeSet<>();
        digests.add(digest);
        Set<Long> stageIds = new java.util.TreeSet<>();
        edges.forEach(e -> {
            digests.add(e.artifact());
            stageIds.add(e.stageId());
        });
        List<ArtifactRecord> artifacts = jdbc.query("SELECT * FROM artifacts WHERE digest = ANY (?) ORDER BY digest",
                ArtifactLedger::artifactOf, (Object) digests.toArray(String[]::new));
        List<LineageStage> stages = jdbc.query("SELECT id, run_id, stage, status, reused_from FROM stages WHERE id = ANY (?) ORDER BY id",
                rs -> new LineageStage(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        (Long) rs.getObject(5)), (Object) stageIds.toArray(Long[]::new));
        return new LineageGraph(artifacts, stages, edges);
    }

    private static ArtifactRecord artifactOf(ResultSet rs) throws SQLException {
        return new ArtifactRecord(rs.getString("digest"), rs.getString("kind"), rs.getLong("size_bytes"),
                rs.getString("metadata"), instant(rs, "created_at"), instant(rs, "deleted_at"));
    }
}
