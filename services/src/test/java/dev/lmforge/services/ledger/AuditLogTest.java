package dev.lmforge.services.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lmforge.services.RealStack;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit log's hash chain on a real PostgreSQL. */
class AuditLogTest {

    @TempDir
    static Path dir;
    static RealStack stack;
    static AuditLog audit;

    @BeforeAll
    static void start() {
        stack = RealStack.start(dir);
        audit = new AuditLog(stack.ledger());
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    @BeforeEach
    void empty() throws SQLException {
        sql("TRUNCATE audit_events RESTART IDENTITY");
        for (int i = 1; i <= 5; i++) {
            audit.append("alice", "run.submit", "run-" + i, "{\"n\":" + i + "}");
        }
    }

    private static void sql(String statement) throws SQLException {
        try (Connection c = stack.ledger().dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    @Test
    void anUntouchedChainVerifies() {
        AuditLog.Verification v = audit.verify();
        assertTrue(v.intact(), v.problem());
        assertEquals(5, v.checked());
        assertEquals(5, audit.events(null, "alice", 10, 0).size());
        assertEquals("run-2", audit.events("run-2", null, 10, 0).get(0).target());
    }

    @Test
    void theTableRefusesEditsAndDeletes() {
        SQLException e = assertThrows(SQLException.class, () -> sql("UPDATE audit_events SET actor = 'mallory' WHERE id = 2"));
        assertTrue(e.getMessage().contains("append-only"), e.getMessage());
        assertThrows(SQLException.class, () -> sql("DELETE FROM audit_events WHERE id = 2"));
    }

    @Test
    void anEditBehindTheTriggersBackBreaksTheChainAtThatRow() throws SQLException {
        sql("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change");
        try {
            sql("UPDATE audit_events SET actor = 'mallory' WHERE id = 3");
        } finally {
            sql("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change");
        }
        AuditLog.Verification v = audit.verify();
        assertFalse(v.intact());
        assertEquals(3L, v.firstBadId());
        assertTrue(v.problem().contains("edited"), v.problem());
    }

    @Test
    void aDeletedRowBreaksTheLinkOfTheNextOne() throws SQLException {
        sql("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change");
        try {
            sql("DELETE FROM audit_events WHERE id = 2");
        } finally {
            sql("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change");
        }
        AuditLog.Verification v = audit.verify();
        assertFalse(v.intact());
        assertEquals(3L, v.firstBadId());
    }
}
