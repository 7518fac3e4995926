package dev.lmforge.services.ledger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The ledger's schema and who may do what to it. Migrations run as the schema's owner; lmforge's processes then
 * work as an application role that owns nothing, so it can insert audit events but cannot alter, disable or drop
 * the audit log's triggers (only an owner or a superuser can), and has no UPDATE, DELETE or TRUNCATE on it at all.
 */
public final class LedgerSchema {

    private static final Pattern ROLE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private LedgerSchema() {
    }

    /** Brings the schema up to date (Flyway, migrations under {@code db/lmforge}). */
    public static void migrate(DataSource dataSource) {
        Flyway.configure(LedgerSchema.class.getClassLoader())
                .dataSource(dataSource)
                .locations("classpath:db/lmforge")
                .load()
                .migrate();
    }

    /**
     * Migrates the schema as {@code owner}, then makes sure the login role {@code appRole} exists with
     * {@code appPassword} (when the owner may create or alter roles; a role made by a DBA is taken as it is) and
     * holds exactly the rights lmforge needs on every table. Refuses a role that is a superuser, the owner itself,
     * or a member of the owner's role, since each of those could switch the triggers off.
     */
    public static void migrate(DataSource owner, String appRole, String appPassword) {
        if (!ROLE_NAME.matcher(appRole).matches()) {
            throw new IllegalArgumentException("LMFORGE_JDBC_APP_USER must be a plain lower-case role name, not '" + appRole + "'");
        }
        migrate(owner);
        try (Connection c = owner.getConnection(); Statement s = c.createStatement()) {
            String me;
            boolean mayManageRoles;
            try (ResultSet rs = s.executeQuery("SELECT current_user, rolsuper OR rolcreaterole FROM pg_roles "
                    + "WHERE rolname = current_user")) {
                rs.next();
                me = rs.getString(1);
                mayManageRoles = rs.getBoolean(2);
            }
            if (appRole.equals(me)) {
                throw new IllegalStateException("the application role (LMFORGE_JDBC_APP_USER) is '" + appRole
                        + "', the schema's owner (LMFORGE_JDBC_USER): it could disable the audit log's triggers");
            }
            boolean exists;
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
                ps.setString(1, appRole);
                try (ResultSet rs = ps.executeQuery()) {
                    exists = rs.next();
                }
            }
            String attributes = " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD "
                    + literal(appPassword);
            if (!exists) {
                s.execute("CREATE ROLE " + appRole + attributes);
            } else if (mayManageRoles) {
                // Kept in line with the configuration, so a changed LMFORGE_JDBC_APP_PASSWORD takes effect.
                s.execute("ALTER ROLE " + appRole + attributes);
            }
            requireHarmless(c, appRole, me);
            String schema;
            try (ResultSet rs = s.executeQuery("SELECT quote_ident(current_schema())")) {
                rs.next();
                schema = rs.getString(1);
            }
            // Every table, also those of later migrations, since this runs after each migration.
            s.execute("GRANT USAGE ON SCHEMA " + schema + " TO " + appRole);
            s.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + schema + " TO " + appRole);
            s.execute("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA " + schema + " TO " + appRole);
            s.execute("REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON audit_events FROM " + appRole);
            s.execute("REVOKE ALL ON flyway_schema_history FROM " + appRole);
        } catch (SQLException e) {
            throw new LedgerException(e);
        }
    }

    private static void requireHarmless(Connection c, String appRole, String owner) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT rolsuper, pg_has_role(?, ?, 'MEMBER') FROM pg_roles "
                + "WHERE rolname = ?")) {
            ps.setString(1, appRole);
            ps.setString(2, owner);
            ps.setString(3, appRole);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getBoolean(1) || rs.getBoolean(2)) {
                    throw new IllegalStateException("the application role '" + appRole + "' is "
                            + (rs.getBoolean(1) ? "a superuser" : "a member of the owner '" + owner + "'")
                            + ": it could disable the audit log's triggers; give lmforge a plain login role");
                }
            }
        }
    }

    /** A string literal for DDL, which takes no bind parameters. */
    private static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }
}
