package dev.lmforge.services.ledger;

import dev.lmforge.services.artifacts.Digests;
import dev.lmforge.services.ledger.AuditAnchors.Anchor;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Who did what, append-only, and tamper-evident against someone who can write the database:
 * <ul>
 *   <li>each event's hash is an HMAC-SHA256, under an {@link AuditKey} the database does not hold, of its fields
 *   and of the hash of the event before it, so an edit breaks the chain and recomputing the chain needs the key;</li>
 *   <li>ids are consecutive (each is its predecessor's plus one, under the append lock), so a removed event is a
 *   gap;</li>
 *   <li>the chain's head is copied outside PostgreSQL every so often ({@link AuditAnchors}), so removing the
 *   newest events, or all of them, leaves a log shorter than its newest anchor.</li>
 * </ul>
 * Events from before keyed hashes (migration V8) keep their plain SHA-256 and are accepted only as the chain's
 * prefix, up to the id that the anchors record. {@link #verify()} names the first event that does not check out.
 */
public final class AuditLog {

    /** The hash that the first event links to. */
    static final String GENESIS = "0".repeat(64);
    /** Serialises appends so that two events never link to the same predecessor. */
    private static final long APPEND_LOCK = 0x6c6d666f726765L;

    private final Jdbc jdbc;
    private final AuditKey key;
    private final AuditAnchors anchors;
    private final AnchorPolicy policy;
    /** The id and time of the last anchor this process knows of; null until first looked up. */
    private Anchor lastAnchor;
    private boolean lastAnchorKnown;

    public AuditLog(Jdbc jdbc, AuditKey key, AuditAnchors anchors, AnchorPolicy policy) {
        this.jdbc = jdbc;
        this.key = key;
        this.anchors = anchors;
        this.policy = policy;
    }

    /** How often the head is anchored: once {@code events} events or {@code interval} have passed since the last. */
    public record AnchorPolicy(int events, Duration interval) {
        public AnchorPolicy {
            if (events < 1 || interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("an anchor policy needs at least one event and a positive interval");
            }
        }
    }

    /** An audit event as stored. */
    public record AuditEvent(long id, Instant at, String actor, String action, String target, String details,
                             String prevHash, String hash) {
    }

    /** Why verification failed; {@code OK} when it did not. */
    public enum Problem { OK, EDITED, GAP, MISSING_TAIL, BAD_KEY, UNKEYED }

    /**
     * The result of walking the chain: intact, or the first event that does not check out, what kind of problem it
     * is and in words why. {@code anchoredThrough} is the newest anchor's event id (null without an anchor).
     */
    public record Verification(boolean intact, long checked, Long firstBadId, Problem reason, String problem,
                               Long anchoredThrough) {
    }

    /** Appends an event; {@code details} is free text (JSON by convention). */
    public AuditEvent append(String actor, String action, String target, String details) {
        Instant at = Instant.now().truncatedTo(ChronoUnit.MICROS);
        String safeDetails = details == null ? "" : details;
        AuditEvent event = jdbc.inTransaction(c -> {
            try (PreparedStatement lock = Jdbc.prepare(c, "SELECT pg_advisory_xact_lock(?)", APPEND_LOCK)) {
                lock.executeQuery().close();
            }
            String prev = GENESIS;
            long id = 1;
            try (PreparedStatement ps = c.prepareStatement("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1");
                 ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    id = rs.getLong(1) + 1;
                    prev = rs.getString(2);
                }
            }
            // Not the sequence: a rolled-back nextval would leave a gap that verification could not tell from a deletion.
            String hash = keyedHash(id, at, actor, action, target, safeDetails, prev);
            Jdbc.execute(c, "INSERT INTO audit_events (id, at_micros, actor, action, target, details, prev_hash, "
                    + "hash, keyed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, true)", id, micros(at), actor, action, target,
                    safeDetails, prev, hash);
            return new AuditEvent(id, at, actor, action, target, safeDetails, prev, hash);
        });
        anchorIfDue(event);
        return event;
    }

    /** Anchors the head when the policy says so; a store that is down is retried at the next append. */
    private synchronized void anchorIfDue(AuditEvent event) {
        try {
            Anchor last = knownAnchor();
            boolean due = last == null || event.id() - last.id() >= policy.events()
                    || ChronoUnit.MICROS.between(Instant.EPOCH.plus(last.atMicros(), ChronoUnit.MICROS), event.at())
                    >= policy.interval().toNanos() / 1000;
            if (due) {
                anchor(event.id(), event.hash());
            }
        } catch (RuntimeException e) {
            // The event is committed; an unanchored stretch only narrows what a later check can prove.
            System.getLogger(AuditLog.class.getName()).log(System.Logger.Level.WARNING,
                    "could not anchor the audit log at event " + event.id() + ": " + e.getMessage());
        }
    }

    /**
     * Anchors the head if events were appended since the last anchor and the policy's interval has passed since it:
     * called on a timer, so that the newest events are pinned within the interval even when no further event
     * comes to trigger it. Returns the anchor written, if any; a store that is down is tried again next time.
     */
    public synchronized Optional<Anchor> anchorIfStale() {
        List<AuditEvent> head = jdbc.query("SELECT * FROM audit_events ORDER BY id DESC LIMIT 1", AuditLog::eventOf);
        if (head.isEmpty()) {
            return Optional.empty();
        }
        Anchor last = knownAnchor();
        if (last != null && (last.id() >= head.get(0).id() || ChronoUnit.MICROS.between(
                Instant.EPOCH.plus(last.atMicros(), ChronoUnit.MICROS), Instant.now()) < policy.interval().toNanos() / 1000)) {
            return Optional.empty();
        }
        return Optional.of(anchor(head.get(0).id(), head.get(0).hash()));
    }

    private Anchor knownAnchor() {
        if (!lastAnchorKnown) {
            lastAnchor = anchors.newest().orElse(null);
            lastAnchorKnown = true;
        }
        return lastAnchor;
    }

    /**
     * Writes an anchor of the current head now (nothing if the log is empty) and returns it. Called at start-up,
     * so that the log as it stands is pinned before anything else is appended.
     */
    public synchronized Optional<Anchor> anchorNow() {
        List<AuditEvent> head = jdbc.query("SELECT * FROM audit_events ORDER BY id DESC LIMIT 1", AuditLog::eventOf);
        if (head.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(anchor(head.get(0).id(), head.get(0).hash()));
    }

    private Anchor anchor(long id, String hash) {
        long unkeyedThrough = jdbc.query("SELECT coalesce(max(id), 0) FROM audit_events WHERE NOT keyed AND id <= ?",
                rs -> rs.getLong(1), id).get(0);
        Anchor anchor = Anchor.signed(id, hash, unkeyedThrough, key, micros(Instant.now()));
        anchors.write(anchor);
        lastAnchor = anchor;
        lastAnchorKnown = true;
        return anchor;
    }

    /** Events newest first, optionally only those about {@code target} or by {@code actor}. */
    public List<AuditEvent> events(String target, String actor, int limit, int offset) {
        List<Object> params = new ArrayList<>();
        String sql = "SELECT * FROM audit_events" + where(target, actor, params) + " ORDER BY id DESC LIMIT ? OFFSET ?";
        params.add(limit);
        params.add(offset);
        return jdbc.query(sql, AuditLog::eventOf, params.toArray());
    }

    /** How many events {@link #events} would page through with the same filters. */
    public long count(String target, String actor) {
        List<Object> params = new ArrayList<>();
        return jdbc.query("SELECT count(*) FROM audit_events" + where(target, actor, params), rs -> rs.getLong(1),
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

    /**
     * Walks the whole chain in order, checks that ids are consecutive and recomputes every hash, then compares the
     * log with the newest anchor.
     */
    public Verification verify() {
        Optional<Anchor> newest = anchors.newest();
        Long anchored = newest.map(Anchor::id).orElse(null);
        if (newest.isPresent() && !newest.get().signedBy(key)) {
            return new Verification(false, 0, null, Problem.BAD_KEY, "the newest anchor (event " + anchored
                    + ") was made with key " + newest.get().keyId() + ", not with this key (" + key.id()
                    + "): the chain cannot be checked with the key lmforge has", anchored);
        }
        long unkeyedThrough = newest.map(Anchor::unkeyedThrough).orElse(Long.MAX_VALUE);
        String expectedPrev = GENESIS;
        long expectedId = 1;
        long checked = 0;
        boolean sawKeyed = false;
        boolean anchorSeen = false;
        // Read in pages so that a long log does not sit in memory at once.
        while (true) {
            List<StoredEvent> page = jdbc.query("SELECT * FROM audit_events WHERE id >= ? ORDER BY id LIMIT 1000",
                    rs -> new StoredEvent(eventOf(rs), rs.getBoolean("keyed")), expectedId);
            if (page.isEmpty()) {
                break;
            }
            for (StoredEvent stored : page) {
                AuditEvent e = stored.event();
                if (e.id() != expectedId) {
                    return bad(checked, expectedId, Problem.GAP, "events " + range(expectedId, e.id() - 1)
                            + " are missing: the ids jump from " + (expectedId - 1) + " to " + e.id(), anchored);
                }
                if (!e.prevHash().equals(expectedPrev)) {
                    return bad(checked, e.id(), Problem.EDITED, "event " + e.id() + " links to " + e.prevHash()
                            + " but the event before it hashes to " + expectedPrev + " (an event was edited)", anchored);
                }
                if (stored.keyed()) {
                    if (!keyedHash(e).equals(e.hash())) {
                        // With no anchor to name the key, a wrong key shows as the first keyed event failing.
                        String orKey = sawKeyed || anchored != null ? "" : ", or this is not the key it was written with";
                        return bad(checked, e.id(), Problem.EDITED, "event " + e.id() + " was edited: its HMAC under "
                                + "the audit key does not match the stored hash " + e.hash() + orKey, anchored);
                    }
                    sawKeyed = true;
                } else {
                    if (sawKeyed || e.id() > unkeyedThrough) {
                        return bad(checked, e.id(), Problem.UNKEYED, "event " + e.id() + " claims a plain SHA-256 hash, "
                                + "but only the events before keyed hashes began ("
                                + (unkeyedThrough == Long.MAX_VALUE ? "the first keyed event" : "through id " + unkeyedThrough)
                                + ") may: the chain was recomputed without the key", anchored);
                    }
                    if (!plainHash(e).equals(e.hash())) {
                        return bad(checked, e.id(), Problem.EDITED, "event " + e.id() + " was edited: its fields hash to "
                                + plainHash(e) + ", not the stored " + e.hash(), anchored);
                    }
                }
                if (anchored != null && e.id() == anchored) {
                    anchorSeen = true;
                    if (!e.hash().equals(newest.get().hash())) {
                        return bad(checked, e.id(), Problem.EDITED, "event " + e.id() + " hashes to " + e.hash()
                                + " but the anchor taken at " + Instant.EPOCH.plus(newest.get().atMicros(), ChronoUnit.MICROS)
                                + " says " + newest.get().hash() + " (the chain was rewritten)", anchored);
                    }
                }
                expectedPrev = e.hash();
                expectedId = e.id() + 1;
                checked++;
            }
        }
        if (anchored != null && !anchorSeen) {
            return bad(checked, expectedId, Problem.MISSING_TAIL, "the log ends at event " + (expectedId - 1)
                    + " but the anchor taken at " + Instant.EPOCH.plus(newest.get().atMicros(), ChronoUnit.MICROS)
                    + " records event " + anchored + ": events " + range(expectedId, anchored) + " were removed", anchored);
        }
        return new Verification(true, checked, null, Problem.OK, null, anchored);
    }

    private record StoredEvent(AuditEvent event, boolean keyed) {
    }

    private static Verification bad(long checked, long id, Problem reason, String why, Long anchored) {
        return new Verification(false, checked, id, reason, why, anchored);
    }

    private static String range(long from, long to) {
        return from == to ? Long.toString(from) : from + ".." + to;
    }

    private static AuditEvent eventOf(ResultSet rs) throws java.sql.SQLException {
        long micros = rs.getLong("at_micros");
        return new AuditEvent(rs.getLong("id"), Instant.EPOCH.plus(micros, ChronoUnit.MICROS), rs.getString("actor"),
                rs.getString("action"), rs.getString("target"), rs.getString("details"), rs.getString("prev_hash"),
                rs.getString("hash"));
    }

    private String keyedHash(AuditEvent e) {
        return keyedHash(e.id(), e.at(), e.actor(), e.action(), e.target(), e.details(), e.prevHash());
    }

    private String keyedHash(long id, Instant at, String actor, String action, String target, String details,
                             String prev) {
        return key.hmac(serialised(id, at, actor, action, target, details, prev));
    }

    /** The hash of events written before migration V8. */
    private static String plainHash(AuditEvent e) {
        return Digests.sha256(serialised(e.id(), e.at(), e.actor(), e.action(), e.target(), e.details(), e.prevHash()));
    }

    /** Fields are length-prefixed so that no two different events can serialise alike. */
    private static String serialised(long id, Instant at, String actor, String action, String target, String details,
                                     String prev) {
        StringBuilder sb = new StringBuilder();
        for (String field : new String[]{Long.toString(id), Long.toString(micros(at)), actor, action, target, details, prev}) {
            sb.append(field.length()).append(':').append(field).append(';');
        }
        return sb.toString();
    }

    private static long micros(Instant at) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, at);
    }
}
