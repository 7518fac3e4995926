package dev.lmforge.services.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lmforge.services.RealStack;
import dev.lmforge.services.artifacts.Digests;
import dev.lmforge.services.ledger.AuditLog.Problem;
import dev.lmforge.services.ledger.AuditLog.Verification;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit log's keyed chain, ids and anchors on a real PostgreSQL and S3, attacked the way someone with
 * owner access to the database would: behind the triggers' back.
 */
class AuditLogTest {

    private static final AtomicInteger PREFIXES = new AtomicInteger();

    @TempDir
    static Path dir;
    static RealStack stack;
    static AuditKey key;
    AuditAnchors anchors;
    AuditLog audit;

    @BeforeAll
    static void start() {
        stack = RealStack.start(dir);
        key = AuditKey.load(null, dir);
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    @BeforeEach
    void fiveEvents() throws SQLException {
        behindTriggers("TRUNCATE audit_events");
        // Each test its own anchors, so one test's anchors never speak for another's log.
        anchors = new AuditAnchors(stack.artifacts(), "audit-anchors/test-" + PREFIXES.incrementAndGet() + "/");
        audit = new AuditLog(stack.ledger().jdbc(), key, anchors, new AuditLog.AnchorPolicy(1000, Duration.ofHours(1)));
        for (int i = 1; i <= 5; i++) {
            audit.append("alice", "run.submit", "run-" + i, "{\"n\":" + i + "}");
        }
    }

    private static void sql(String statement) throws SQLException {
        try (Connection c = stack.ledger().jdbc().dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    /** As the table's owner can: every trigger off, the statements, the triggers on again. */
    private static void behindTriggers(String... statements) throws SQLException {
        sql("ALTER TABLE audit_events DISABLE TRIGGER USER");
        try {
            for (String statement : statements) {
                sql(statement);
            }
        } finally {
            sql("ALTER TABLE audit_events ENABLE TRIGGER USER");
        }
    }

    /** Rewrites every event from {@code fromId} on so that each links to its predecessor under {@code hash}. */
    private static void recomputeChainFrom(long fromId, boolean keyed, Function<String, String> hash) throws SQLException {
        recomputeChain(fromId, Long.MAX_VALUE, keyed, hash);
    }

    /** Rewrites events {@code fromId} to {@code toId} so that each links to its predecessor under {@code hash}. */
    private static void recomputeChain(long fromId, long toId, boolean keyed, Function<String, String> hash)
            throws SQLException {
        sql("ALTER TABLE audit_events DISABLE TRIGGER USER");
        try (Connection c = stack.ledger().jdbc().dataSource().getConnection()) {
            String prev = AuditLog.GENESIS;
            try (PreparedStatement ps = c.prepareStatement("SELECT hash FROM audit_events WHERE id = ?")) {
                ps.setLong(1, fromId - 1);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        prev = rs.getString(1);
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT * FROM audit_events WHERE id BETWEEN ? AND ? ORDER BY id")) {
                ps.setLong(1, fromId);
                ps.setLong(2, toId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String text = serialised(rs.getLong("id"), rs.getLong("at_micros"), rs.getString("actor"),
                                rs.getString("action"), rs.getString("target"), rs.getString("details"), prev);
                        String h = hash.apply(text);
                        try (PreparedStatement up = c.prepareStatement(
                                "UPDATE audit_events SET prev_hash = ?, hash = ?, keyed = ? WHERE id = ?")) {
                            up.setString(1, prev);
                            up.setString(2, h);
                            up.setBoolean(3, keyed);
                            up.setLong(4, rs.getLong("id"));
                            up.executeUpdate();
                        }
                        prev = h;
                    }
                }
            }
        } finally {
            sql("ALTER TABLE audit_events ENABLE TRIGGER USER");
        }
    }

    /** The attacker's copy of the documented serialisation: length-prefixed fields. */
    private static String serialised(long id, long micros, String actor, String action, String target, String details,
                                     String prev) {
        StringBuilder sb = new StringBuilder();
        for (String f : new String[]{Long.toString(id), Long.toString(micros), actor, action, target, details, prev}) {
            sb.append(f.length()).append(':').append(f).append(';');
        }
        return sb.toString();
    }

    private static void assertBad(Verification v, long id, Problem reason) {
        assertFalse(v.intact(), "the attack went unnoticed");
        assertEquals(reason, v.reason(), v.problem());
        assertEquals(id, v.firstBadId(), v.problem());
    }

    @Test
    void anUntouchedChainVerifiesAgainstItsAnchor() {
        audit.anchorNow();
        Verification v = audit.verify();
        assertTrue(v.intact(), v.problem());
        assertEquals(Problem.OK, v.reason());
        assertEquals(5, v.checked());
        assertEquals(5L, v.anchoredThrough());
        assertEquals(5, audit.events(null, "alice", 10, 0).size());
        assertEquals("run-2", audit.events("run-2", null, 10, 0).get(0).target());
    }

    @Test
    void theHeadIsAnchoredEveryNEvents() {
        AuditLog everyThree = new AuditLog(stack.ledger().jdbc(), key, anchors, new AuditLog.AnchorPolicy(3, Duration.ofHours(1)));
        // The newest anchor is event 1 (the first append of the setup's log, which had none before it).
        assertEquals(1L, anchors.newest().orElseThrow().id());
        everyThree.append("bob", "run.cancel", "run-6", "{}");
        assertEquals(6L, anchors.newest().orElseThrow().id(), "five events since the last anchor");
        everyThree.append("bob", "run.cancel", "run-7", "{}");
        everyThree.append("bob", "run.cancel", "run-8", "{}");
        assertEquals(6L, anchors.newest().orElseThrow().id(), "two events since the last anchor");
        everyThree.append("bob", "run.cancel", "run-9", "{}");
        assertEquals(9L, anchors.newest().orElseThrow().id(), "three events since the last anchor");
        assertTrue(everyThree.verify().intact());
    }

    /**
     * The interval's anchor comes from the timer, not the next event: events appended since the last anchor are
     * pinned once the interval has passed, though nothing else is appended; an anchored head is not anchored again.
     */
    @Test
    void theTimerAnchorsTheHeadOnceTheIntervalHasPassedWithoutAnotherEvent() throws Exception {
        AuditLog shortInterval = new AuditLog(stack.ledger().jdbc(), key, anchors,
                new AuditLog.AnchorPolicy(1000, Duration.ofMillis(300)));
        assertEquals(1L, anchors.newest().orElseThrow().id());
        Thread.sleep(400);
        assertTrue(shortInterval.anchorIfStale().isPresent(), "five events were never anchored, the last anchor is old");
        assertEquals(5L, anchors.newest().orElseThrow().id());
        shortInterval.append("bob", "run.cancel", "run-6", "{}");
        assertTrue(shortInterval.anchorIfStale().isEmpty(), "the interval has not passed since the last anchor");
        Thread.sleep(400);
        assertEquals(6L, shortInterval.anchorIfStale().orElseThrow().id(), "the interval passed, with no further event");
        assertEquals(6L, anchors.newest().orElseThrow().id());
        Thread.sleep(400);
        assertTrue(shortInterval.anchorIfStale().isEmpty(), "nothing new since the last anchor");
        assertTrue(shortInterval.verify().intact());
    }

    @Test
    void theKeyFileIsCreatedPrivateAndReadBack() throws Exception {
        Path file = dir.resolve(AuditKey.FILE_NAME);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(key.id(), AuditKey.load(null, dir).id());
        String base64 = Files.readString(file, StandardCharsets.US_ASCII).strip();
        assertEquals(key.id(), AuditKey.load(base64, dir.resolve("elsewhere")).id(), "LMFORGE_AUDIT_KEY wins over the file");
    }

    @Test
    void theTableRefusesEditsDeletesAndTruncate() {
        SQLException e = assertThrows(SQLException.class, () -> sql("UPDATE audit_events SET actor = 'mallory' WHERE id = 2"));
        assertTrue(e.getMessage().contains("append-only"), e.getMessage());
        assertThrows(SQLException.class, () -> sql("DELETE FROM audit_events WHERE id = 2"));
        SQLException t = assertThrows(SQLException.class, () -> sql("TRUNCATE audit_events"));
        assertTrue(t.getMessage().contains("append-only"), t.getMessage());
        assertTrue(audit.verify().intact());
    }

    @Test
    void anEditedRowIsFound() throws SQLException {
        behindTriggers("UPDATE audit_events SET actor = 'mallory' WHERE id = 3");
        assertBad(audit.verify(), 3, Problem.EDITED);
    }

    @Test
    void anEditWithEveryLaterHashRecomputedAsPlainSha256IsFound() throws SQLException {
        behindTriggers("UPDATE audit_events SET actor = 'mallory' WHERE id = 3");
        recomputeChainFrom(3, true, Digests::sha256);
        assertBad(audit.verify(), 3, Problem.EDITED);
    }

    @Test
    void anEditWithEveryLaterHashRecomputedUnderAnotherKeyIsFound() throws SQLException {
        AuditKey guess = AuditKey.of(new byte[32]);
        behindTriggers("UPDATE audit_events SET actor = 'mallory' WHERE id = 3");
        recomputeChainFrom(3, true, guess::hmac);
        assertBad(audit.verify(), 3, Problem.EDITED);
    }

    @Test
    void aWholeChainPassedOffAsUnkeyedIsFound() throws SQLException {
        behindTriggers("UPDATE audit_events SET actor = 'mallory' WHERE id = 3");
        recomputeChainFrom(1, false, Digests::sha256);
        // The anchor (written with the first event) says no event was ever unkeyed.
        assertBad(audit.verify(), 1, Problem.UNKEYED);
    }

    @Test
    void aDeletedTailAfterAnAnchorIsFound() throws SQLException {
        audit.anchorNow();
        behindTriggers("DELETE FROM audit_events WHERE id >= 4");
        Verification v = audit.verify();
        assertBad(v, 4, Problem.MISSING_TAIL);
        assertTrue(v.problem().contains("4..5"), v.problem());
    }

    @Test
    void aTruncatedLogIsFound() throws SQLException {
        audit.anchorNow();
        behindTriggers("TRUNCATE audit_events");
        assertBad(audit.verify(), 1, Problem.MISSING_TAIL);
    }

    @Test
    void aDeletedMiddleRowIsAGap() throws SQLException {
        behindTriggers("DELETE FROM audit_events WHERE id = 2");
        Verification v = audit.verify();
        assertBad(v, 2, Problem.GAP);
        assertTrue(v.problem().contains("missing"), v.problem());
    }

    @Test
    void anotherKeyIsReportedAsSuch() {
        audit.anchorNow();
        AuditLog wrongKey = new AuditLog(stack.ledger().jdbc(), AuditKey.of(new byte[32]), anchors,
                new AuditLog.AnchorPolicy(1000, Duration.ofHours(1)));
        Verification v = wrongKey.verify();
        assertFalse(v.intact());
        assertEquals(Problem.BAD_KEY, v.reason(), v.problem());
    }

    @Test
    void eventsFromBeforeKeyedHashesStayVerifiableAsThePrefix() throws SQLException {
        behindTriggers("TRUNCATE audit_events");
        // Two events as V1 to V7 wrote them: plain SHA-256, unkeyed.
        String prev = AuditLog.GENESIS;
        for (long id = 1; id <= 2; id++) {
            String text = serialised(id, 1_000_000L * id, "old", "run.submit", "run-" + id, "{}", prev);
            String hash = Digests.sha256(text);
            sql("INSERT INTO audit_events (id, at_micros, actor, action, target, details, prev_hash, hash) VALUES ("
                    + id + ", " + 1_000_000L * id + ", 'old', 'run.submit', 'run-" + id + "', '{}', '" + prev + "', '" + hash + "')");
            prev = hash;
        }
        AuditAnchors fresh = new AuditAnchors(stack.artifacts(), "audit-anchors/test-" + PREFIXES.incrementAndGet() + "/");
        AuditLog upgraded = new AuditLog(stack.ledger().jdbc(), key, fresh, new AuditLog.AnchorPolicy(1000, Duration.ofHours(1)));
        assertEquals(2L, upgraded.anchorNow().orElseThrow().unkeyedThrough());
        upgraded.append("new", "run.submit", "run-3", "{}");
        Verification v = upgraded.verify();
        assertTrue(v.intact(), v.problem());
        assertEquals(3, v.checked());
        // Editing an old event and recomputing the old events' plain hashes: the anchor of event 2 disagrees.
        behindTriggers("UPDATE audit_events SET actor = 'mallory' WHERE id = 1");
        recomputeChain(1, 2, false, Digests::sha256);
        Verification rewritten = upgraded.verify();
        assertBad(rewritten, 2, Problem.EDITED);
        assertTrue(rewritten.problem().contains("anchor"), rewritten.problem());
    }
}
