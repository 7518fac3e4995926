package dev.lmforge.services.ledger;

import java.time.Instant;
import java.util.Optional;

/**
 * The log of each stage attempt ({@code stage_attempt_logs}): a compute worker saves what it has captured of an
 * attempt every few seconds, bounded in size and redacted before it gets here, and the console and CLI read it.
 */
public final class AttemptLogStore {

    /** The log of one attempt as last saved; {@code complete} once the attempt has ended. */
    public record AttemptLog(String text, long bytesDropped, boolean complete, Instant updatedAt) {}

    private final Jdbc jdbc;

    public AttemptLogStore(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Saves the log of attempt {@code attempt} of stage row {@code stageId} in place of what was saved before; a log
     * already marked complete is never reopened, so a late write of a superseded capture cannot take it back.
     */
    public void save(long stageId, int attempt, String text, long bytesDropped, boolean complete) {
        jdbc.update("""
                INSERT INTO stage_attempt_logs (stage_id, attempt, text, bytes_dropped, complete, updated_at)
                VALUES (?, ?, ?, ?, ?, now())
                ON CONFLICT (stage_id, attempt) DO UPDATE SET text = EXCLUDED.text,
                    bytes_dropped = EXCLUDED.bytes_dropped, complete = EXCLUDED.complete, updated_at = now()
                WHERE NOT stage_attempt_logs.complete OR EXCLUDED.complete""",
                stageId, attempt, text, bytesDropped, complete);
    }

    /** The log of attempt {@code attempt} of stage {@code stage} of run {@code runId} (its newest stage row). */
    public Optional<AttemptLog> read(String runId, String stage, int attempt) {
        return jdbc.queryOne("""
                SELECT l.text, l.bytes_dropped, l.complete, l.updated_at FROM stage_attempt_logs l
                WHERE l.attempt = ? AND l.stage_id = (SELECT max(id) FROM stages WHERE run_id = ? AND stage = ?)""",
                rs -> new AttemptLog(rs.getString(1), rs.getLong(2), rs.getBoolean(3), Jdbc.instant(rs, "updated_at")),
                attempt, runId, stage);
    }
}
