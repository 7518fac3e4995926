package dev.lmforge.services.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lmforge.services.RealStack;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/** The application's role on a real PostgreSQL: it appends to the audit log and can do nothing else to it. */
class LedgerSchemaTest {

    @TempDir
    static Path dir;
    static RealStack stack;
    static PGSimpleDataSource app;

    @BeforeAll
    static void start() {
        stack = RealStack.start(dir);
        LedgerSchema.migrate(stack.ledger().jdbc().dataSource(), "lmforge_app", "app secret with a ' quote");
        // Twice, as every start-up does: it must be idempotent.
        LedgerSchema.migrate(stack.ledger().jdbc().dataSource(), "lmforge_app", "app secret with a ' quote");
        app = new PGSimpleDataSource();
        app.setURL(stack.jdbcUrl());
        app.setUser("lmforge_app");
        app.setPassword("app secret with a ' quote");
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    private static SQLException refusedForApp(String statement) {
        return assertThrows(SQLException.class, () -> {
            try (Connection c = app.getConnection(); Statement s = c.createStatement()) {
                s.execute(statement);
            }
        }, statement);
    }

    @Test
    void theAppRoleAppendsAndVerifies() {
        AuditLog audit = new AuditLog(new Jdbc(app), AuditKey.load(null, dir),
                new AuditAnchors(stack.artifacts(), "audit-anchors/schema-test/"),
                new AuditLog.AnchorPolicy(100, Duration.ofMinutes(5)));
        audit.append("alice", "run.submit", "run-1", "{}");
        audit.append("alice", "run.cancel", "run-1", "{}");
        AuditLog.Verification v = audit.verify();
        assertTrue(v.intact(), v.problem());
        assertEquals(1L, v.anchoredThrough());
    }

    @Test
    void theAppRoleCannotDisableAlterOrDropTheTriggers() {
        for (String statement : new String[]{
                "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change",
                "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_truncate",
                "ALTER TABLE audit_events DISABLE TRIGGER ALL",
                "DROP TRIGGER audit_events_no_change ON audit_events",
                "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$ BEGIN RETURN NEW; END $$ LANGUAGE plpgsql",
                "SET session_replication_role = replica"}) {
            SQLException e = refusedForApp(statement);
            assertTrue(e.getMessage().contains("must be owner") || e.getMessage().contains("permission denied"),
                    statement + ": " + e.getMessage());
        }
    }

    @Test
    void theAppRoleCannotEditDeleteOrTruncateTheLog() {
        for (String statement : new String[]{"UPDATE audit_events SET actor = 'mallory'", "DELETE FROM audit_events",
                "TRUNCATE audit_events"}) {
            SQLException e = refusedForApp(statement);
            assertTrue(e.getMessage().contains("permission denied"), statement + ": " + e.getMessage());
        }
    }

    @Test
    void theOwnerOrAnOddNameIsRefusedAsTheAppRole() {
        IllegalStateException owner = assertThrows(IllegalStateException.class,
                () -> LedgerSchema.migrate(stack.ledger().jdbc().dataSource(), "postgres", "x"));
        assertTrue(owner.getMessage().contains("owner"), owner.getMessage());
        IllegalArgumentException odd = assertThrows(IllegalArgumentException.class,
                () -> LedgerSchema.migrate(stack.ledger().jdbc().dataSource(), "app; DROP TABLE runs", "x"));
        assertTrue(odd.getMessage().contains("LMFORGE_JDBC_APP_USER"), odd.getMessage());
    }
}
