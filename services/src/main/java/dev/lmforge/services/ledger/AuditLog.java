package dev.lmforge.services.ledger;

import dev.lmforge.services.artifacts.Digests;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * Who did what, append-only. Each event carries the SHA-256 of the event before it and of its own fields, so
 * that editing or deleting any row (even by someone who can bypass the table's append-only trigger) breaks
 * the chain from that row on, and {@link #verify()} says where.
 */
public final class AuditLog {

    /** The hash that the first event links to. */
    static final String GENESIS = "0".repeat(64);
    /** Serialises appends so that two events never link to the same predecessor. */
    private static final long APPEND_LOCK = 0x6c6d666f726765L;

    private final MetadataStore store;

    public AuditLog(MetadataStore store) {
        this.store = store;
    }

    /** An audit event as stored. */
    public record AuditEvent(long id, Instant at, String actor, String action, String target, String details,
                             String prevHash, String hash) {
    }

    /** The result of walking the chain: intact, or the first event that does not check out and why. */
    public record Verification(boolean intact, long checked, Long firstBadId, String problem) {
    }

    /** Appends an event; {@code details} is free text (JSON by convention). */
    public AuditEvent append(String actor, String action, String target, String details) {
        Instant at = Instant.now().truncatedTo(ChronoUnit.MICROS);
        String safeDetails = details == null ? "" : details;
        return store.inTransaction(c -> {
            try (PreparedStatement lock = MetadataStore.prepare(c, "SELECT pg_advisory_xact_lock(?)", APPEND_LOCK)) {
                lock.executeQuery().close();
            }
            String prev = GENESIS;
            try (PreparedStatement ps = c.prepareStatement("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1");
                 ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    prev = rs.getString(1);
                }
            }
            long id;
            try (PreparedStatement ps = c.prepareStatement("SELECT nextval('audit_events_id_seq')");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                id = rs.getLong(1);
            }
            String hash = hashOf(id, at, actor, action, target, safeDetails, prev);
            MetadataStore.execute(c, "INSERT INTO audit_events (id, at_micros, actor, action, target, details, prev_hash, hash) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", id, micros(at), actor, action, target, safeDetails, prev, hash);
            return new AuditEvent(id, at, actor, action, target, safeDetails, prev, hash);
        });
    }

    /** Events newest first, optionally only those about {@code target} or by {@code actor}. */
    public List<AuditEvent> events(String target, String actor, int limit, int offset) {
        List<Object> params = new ArrayList<>();
        String sql = "SELECT * FROM audit_events" + where(target, actor, params) + " ORDER BY id DESC LIMIT ? OFFSET ?";
        params.add(limit);
        params.add(offset);
        return store.query(sql, AuditLog::eventOf, params.toArray());
    }

    /** How many events {@link #events} would page through with the same filters. */
    public long count(String target, String actor) {
        List<Object> params = new ArrayList<>();
        return store.query("SELECT count(*) FROM audit_events" + where(target, actor, params), rs -> rs.getLong(1),
                params.toArray()).get(0);
    }

    /** The filters as a WHERE clause; their values are added to {@code params}. */
    private static String where(String target, String actor, List<Object> params) {
        StringBuilder sql = new StringBuilder(" WHERE true");
        if (target != null) {
            sql.append(" AND target = ?");
            params.add(target);
        }
        if (actor != null) {
            sql.append(" AND actor = ?");
            params.add(actor);
        }
        return sql.toString();
    }

    /** Walks the whole chain in order and recomputes every hash. */
    public Verification verify() {
        String expectedPrev = GENESIS;
        long checked = 0;
        // Read in pages so that a long log does not sit in memory at once.
        long after = 0;
        while (true) {
            List<AuditEvent> page = store.query("SELECT * FROM audit_events WHERE id > ? ORDER BY id LIMIT 1000",
                    AuditLog::eventOf, after);
            if (page.isEmpty()) {
                return new Verification(true, checked, null, null);
            }
            for (AuditEvent e : page) {
                if (!e.prevHash().equals(expectedPrev)) {
                    return new Verification(false, checked, e.id(),
                            "event " + e.id() + " links to " + e.prevHash() + " but the event before it hashes to "
                                    + expectedPrev + " (an event was removed or edited)");
                }
                String actual = hashOf(e.id(), e.at(), e.actor(), e.action(), e.target(), e.details(), e.prevHash());
                if (!actual.equals(e.hash())) {
                    return new Verification(false, checked, e.id(), "event " + e.id() + " was edited: its fields hash to "
                            + actual + ", not the stored " + e.hash());
                }
                expectedPrev = e.hash();
                checked++;
                after = e.id();
            }
        }
    }

    private static AuditEvent eventOf(ResultSet rs) throws java.sql.SQLException {
        long micros = rs.getLong("at_micros");
        return new AuditEvent(rs.getLong("id"), Instant.EPOCH.plus(micros, ChronoUnit.MICROS), rs.getString("actor"),
                rs.getString("action"), rs.getString("target"), rs.getString("details"), rs.getString("prev_hash"),
                rs.getString("hash"));
    }

    /** Fields are length-prefixed so that no two different events can serialise alike. */
    private static String hashOf(long id, Instant at, String actor, String action, String target, String details,
                                 String prev) {
        StringBuilder sb = new StringBuilder();
        for (String field : new String[]{Long.toString(id), Long.toString(micros(at)), actor, action, target, details, prev}) {
            sb.append(field.length()).append(':').append(field).append(';');
        }
        return Digests.sha256(sb.toString());
    }

    private static long micros(Instant at) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, at);
    }
}
