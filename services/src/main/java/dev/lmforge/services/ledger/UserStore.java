package dev.lmforge.services.ledger;

import com.fasterxml.jackson.annotation.JsonValue;
import dev.lmforge.services.artifacts.Digests;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Users, teams, API tokens and console sessions in PostgreSQL. Passwords are kept only as PBKDF2-HMAC-SHA256
 * with a per-user salt and iteration count; tokens and session cookies only as their SHA-256 (they are 256
 * random bits, so a fast hash is enough). A disabled user's password, sessions and tokens are all refused.
 * Failed sign-ins are counted per name and per client address, so that guessing is locked out for a while.
 * Bad input is refused with an {@link IllegalArgumentException} whose message starts with the field at fault.
 */
public final class UserStore {

    /** What a user may do: read ({@code viewer}), also run things in their teams ({@code operator}), or anything. */
    public enum Role {
        VIEWER, OPERATOR, ADMIN;

        /** The role's name as stored and shown: {@code viewer}, {@code operator}, {@code admin}. */
        @JsonValue
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        public boolean atLeast(Role other) {
            return compareTo(other) >= 0;
        }

        /** Parses a stored or requested role; unknown ones are refused naming {@code role}. */
        public static Role of(String id) {
            for (Role r : values()) {
                if (r.id().equals(id)) {
                    return r;
                }
            }
            throw new IllegalArgumentException("role: must be viewer, operator or admin, got '" + id + "'");
        }
    }

    /**
     * A user and their teams, in membership order (the first is their default team); {@code disabledAt} is when an
     * admin disabled them, null while they are enabled.
     */
    public record User(long id, String name, Role role, List<String> teams, Instant createdAt, Instant disabledAt) {
    }

    /** An API token as listed: never the token itself. */
    public record ApiToken(long id, String user, String name, Instant createdAt, Instant lastUsedAt, Instant revokedAt) {
    }

    /** A token just made: {@code secret} is shown this once and stored nowhere. */
    public record NewToken(ApiToken token, String secret) {
    }

    /**
     * A lock-out that a failed sign-in started: of {@code key} ({@code user:NAME} or {@code client:ADDRESS}, also
     * the audit target), until when, and how many lock-outs of that key in a row this makes.
     */
    public record LockOut(String key, Instant until, int inARow) {
    }

    /** OWASP's 2023 figure for PBKDF2-HMAC-SHA256; each user's count is stored, so raising it later is safe. */
    static final int PASSWORD_ITERATIONS = 600_000;
    static final int MIN_PASSWORD_LENGTH = 12;
    private static final String NAME_RULE = "[a-z0-9][a-z0-9._-]{0,63}";
    private static final String TOKEN_PREFIX = "lmf_";
    /** How finely a token's last use is kept. */
    static final Duration TOKEN_USE_RESOLUTION = Duration.ofMinutes(1);
    /** Failed sign-ins of one user name within {@link #FAILURE_WINDOW} that lock the name out. */
    static final int FAILURES_PER_NAME = 5;
    /** The same per client address: more, since people share addresses, but a bound on trying many names. */
    static final int FAILURES_PER_CLIENT = 20;
    static final Duration FAILURE_WINDOW = Duration.ofMinutes(15);
    /** The first lock-out of a key; each one in a row lasts twice as long as the one before, up to the longest. */
    static final Duration FIRST_LOCKOUT = Duration.ofMinutes(5);
    static final Duration LONGEST_LOCKOUT = Duration.ofHours(1);
    /** A key without failures for this long starts again from the first lock-out; its row can go. */
    static final Duration FAILURES_FORGOTTEN_AFTER = Duration.ofDays(1);
    /** A name tried is kept to this length (no user's is longer), so that a huge one does not bloat the counters. */
    private static final int LONGEST_NAME_TRIED = 100;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Jdbc jdbc;

    public UserStore(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    // ---- teams

    /** Creates a team; creating one that exists is a no-op. */
    public void createTeam(String name) {
        requireName("team", name);
        jdbc.query("INSERT INTO teams (name) VALUES (?) ON CONFLICT (name) DO NOTHING RETURNING name", rs -> null, name);
    }

    public List<String> teams() {
        return jdbc.query("SELECT name FROM teams ORDER BY name", rs -> rs.getString(1));
    }

    /** The source roots granted to {@code team} beyond the configured ones, in the order they were set. */
    public List<String> sourceRoots(String team) {
        return jdbc.query("SELECT root FROM team_source_roots WHERE team = ? ORDER BY position", rs -> rs.getString(1),
                team);
    }

    /** Replaces {@code team}'s own source roots (already checked by the caller); the team must exist. */
    public void setSourceRoots(String team, List<String> roots) {
        if (!teams().contains(team)) {
            throw new IllegalArgumentException("team: no team '" + team + "'");
        }
        jdbc.inTransaction(c -> {
            Jdbc.execute(c, "DELETE FROM team_source_roots WHERE team = ?", team);
            for (int i = 0; i < roots.size(); i++) {
                Jdbc.execute(c, "INSERT INTO team_source_roots (team, position, root) VALUES (?, ?, ?)",
                        team, i, roots.get(i));
            }
            return null;
        });
    }

    // ---- users

    public boolean hasUsers() {
        return !jdbc.query("SELECT 1 FROM users LIMIT 1", rs -> true).isEmpty();
    }

    /** Creates a user with a role and, in order, teams that must exist; the password is only kept hashed. */
    public User createUser(String name, String password, Role role, List<String> teams) {
        requireName("name", name);
        requirePassword(name, password);
        if (user(name).isPresent()) {
            throw new IllegalArgumentException("name: a user '" + name + "' already exists");
        }
        List<String> known = teams();
        for (int i = 0; i < teams.size(); i++) {
            if (!known.contains(teams.get(i))) {
                throw new IllegalArgumentException("teams[" + i + "]: no team '" + teams.get(i) + "'");
            }
        }
        byte[] salt = randomBytes(16);
        byte[] hash = pbkdf2(password, salt, PASSWORD_ITERATIONS);
        jdbc.inTransaction(c -> {
            long id;
            try (var ps = Jdbc.prepare(c, "INSERT INTO users (name, role, password_hash, password_salt, "
                    + "password_iterations) VALUES (?, ?, ?, ?, ?) RETURNING id", name, role.id(), hash, salt,
                    PASSWORD_ITERATIONS); ResultSet rs = ps.executeQuery()) {
                rs.next();
                id = rs.getLong(1);
            }
            for (String team : teams) {
                Jdbc.execute(c, "INSERT INTO team_members (team, user_id) VALUES (?, ?)", team, id);
            }
            return null;
        });
        return user(name).orElseThrow();
    }

    /** Adds a user to a team (after their other teams); adding them again is a no-op. */
    public void addMember(String userName, String team) {
        User user = user(userName).orElseThrow(() -> new IllegalArgumentException("user: no user '" + userName + "'"));
        if (!teams().contains(team)) {
            throw new IllegalArgumentException("team: no team '" + team + "'");
        }
        jdbc.query("INSERT INTO team_members (team, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING id",
                rs -> null, team, user.id());
    }

    public Optional<User> user(String name) {
        return one(jdbc.query("SELECT * FROM users WHERE name = ?", this::userOf, name));
    }

    public List<User> users() {
        return jdbc.query("SELECT * FROM users ORDER BY name", this::userOf);
    }

    /**
     * The enabled user whose password this is, or empty; an unknown or disabled name costs as much time as a wrong
     * password, so the answer's timing does not tell them apart.
     */
    public Optional<User> authenticate(String name, String password) {
        String attempt = password == null ? "" : password;
        Optional<StoredPassword> stored = one(jdbc.query("SELECT password_hash, password_salt, password_iterations "
                + "FROM users WHERE name = ? AND disabled_at IS NULL",
                rs -> new StoredPassword(rs.getBytes(1), rs.getBytes(2), rs.getInt(3)), name));
        if (stored.isEmpty()) {
            pbkdf2(attempt, new byte[16], PASSWORD_ITERATIONS);
            return Optional.empty();
        }
        StoredPassword p = stored.get();
        return MessageDigest.isEqual(pbkdf2(attempt, p.salt(), p.iterations()), p.hash()) ? user(name) : Optional.empty();
    }

    private record StoredPassword(byte[] hash, byte[] salt, int iterations) {
    }

    /**
     * Sets a user's password and closes every session of theirs but {@code keepSession} (the one that asked; null
     * closes all); API tokens stay. Returns how many sessions it closed.
     */
    public int changePassword(String userName, String password, String keepSession) {
        User user = existing(userName);
        requirePassword(userName, password);
        byte[] salt = randomBytes(16);
        byte[] hash = pbkdf2(password, salt, PASSWORD_ITERATIONS);
        return jdbc.inTransaction(c -> {
            Jdbc.execute(c, "UPDATE users SET password_hash = ?, password_salt = ?, password_iterations = ? "
                    + "WHERE id = ?", hash, salt, PASSWORD_ITERATIONS, user.id());
            try (var ps = Jdbc.prepare(c, "DELETE FROM sessions WHERE user_id = ? AND token_hash IS DISTINCT FROM ?",
                    user.id(), keepSession == null ? null : Digests.sha256(keepSession))) {
                return ps.executeUpdate();
            }
        });
    }

    /**
     * Disables a user: from now on their password, sessions and tokens are refused, and their sessions are closed.
     * True if they were enabled until now.
     */
    public boolean disable(String userName) {
        User user = existing(userName);
        return jdbc.inTransaction(c -> {
            try (var ps = Jdbc.prepare(c, "UPDATE users SET disabled_at = now() WHERE id = ? AND disabled_at IS NULL",
                    user.id())) {
                if (ps.executeUpdate() == 0) {
                    return false;
                }
            }
            Jdbc.execute(c, "DELETE FROM sessions WHERE user_id = ?", user.id());
            return true;
        });
    }

    /** Enables a disabled user again: their password and their tokens that were not revoked work again. True if they were disabled. */
    public boolean enable(String userName) {
        User user = existing(userName);
        return !jdbc.query("UPDATE users SET disabled_at = NULL WHERE id = ? AND disabled_at IS NOT NULL RETURNING id",
                rs -> rs.getLong(1), user.id()).isEmpty();
    }

    // ---- API tokens

    /** Makes a token for a user; only its hash is stored, so the returned secret cannot be shown again. */
    public NewToken createToken(String userName, String tokenName) {
        User user = existing(userName);
        if (tokenName == null || tokenName.isBlank() || tokenName.length() > 100) {
            throw new IllegalArgumentException("name: a token name of 1 to 100 characters is required");
        }
        String secret = TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(32));
        long id = jdbc.query("INSERT INTO api_tokens (user_id, name, token_hash) VALUES (?, ?, ?) RETURNING id",
                rs -> rs.getLong(1), user.id(), tokenName.strip(), Digests.sha256(secret)).get(0);
        return new NewToken(token(id).orElseThrow(), secret);
    }

    /** A user's tokens, revoked ones included, oldest first. */
    public List<ApiToken> tokens(String userName) {
        return jdbc.query("SELECT t.*, u.name AS user_name FROM api_tokens t JOIN users u ON u.id = t.user_id "
                + "WHERE u.name = ? ORDER BY t.id", UserStore::tokenOf, userName);
    }

    public Optional<ApiToken> token(long id) {
        return one(jdbc.query("SELECT t.*, u.name AS user_name FROM api_tokens t JOIN users u ON u.id = t.user_id "
                + "WHERE t.id = ?", UserStore::tokenOf, id));
    }

    /** Revokes a token; true if it was live until now. */
    public boolean revokeToken(long id) {
        return !jdbc.query("UPDATE api_tokens SET revoked_at = now() WHERE id = ? AND revoked_at IS NULL RETURNING id",
                rs -> rs.getLong(1), id).isEmpty();
    }

    /**
     * The enabled user a live (not revoked) token belongs to, noting when it was used to the minute: writing the
     * token's row on every call would make a script's parallel calls with one token queue on that row's lock.
     */
    public Optional<User> userOfToken(String secret) {
        if (secret == null || !secret.startsWith(TOKEN_PREFIX)) {
            return Optional.empty();
        }
        record Use(long tokenId, long userId, boolean stale) {
        }
        List<Use> uses = jdbc.query("SELECT t.id, t.user_id, t.last_used_at IS NULL OR t.last_used_at < now() - ?::interval "
                        + "FROM api_tokens t JOIN users u ON u.id = t.user_id "
                        + "WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.disabled_at IS NULL",
                rs -> new Use(rs.getLong(1), rs.getLong(2), rs.getBoolean(3)),
                TOKEN_USE_RESOLUTION.toSeconds() + " seconds", Digests.sha256(secret));
        if (uses.isEmpty()) {
            return Optional.empty();
        }
        if (uses.get(0).stale()) {
            jdbc.query("UPDATE api_tokens SET last_used_at = now() WHERE id = ? RETURNING id", rs -> null, uses.get(0).tokenId());
        }
        return userById(uses.get(0).userId());
    }

    /** Whether this token secret is live (the local stack keeps its CLI token file while it is). */
    public boolean isLiveToken(String secret) {
        return secret != null && !jdbc.query("SELECT 1 FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL",
                rs -> true, Digests.sha256(secret)).isEmpty();
    }

    // ---- sessions

    /** Opens a console session for a user; returns the cookie value, which is stored only as its hash. */
    public String openSession(long userId, Duration lifetime) {
        String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(32));
        jdbc.query("INSERT INTO sessions (token_hash, user_id, expires_at) VALUES (?, ?, ?) RETURNING user_id",
                rs -> null, Digests.sha256(secret), userId, Timestamp.from(Instant.now().plus(lifetime)));
        return secret;
    }

    /** The enabled user of a session that has not expired or been closed. */
    public Optional<User> userOfSession(String secret) {
        if (secret == null || secret.isEmpty()) {
            return Optional.empty();
        }
        List<Long> ids = jdbc.query("SELECT s.user_id FROM sessions s JOIN users u ON u.id = s.user_id "
                + "WHERE s.token_hash = ? AND s.expires_at > now() AND u.disabled_at IS NULL",
                rs -> rs.getLong(1), Digests.sha256(secret));
        return ids.isEmpty() ? Optional.empty() : userById(ids.get(0));
    }

    /** Closes a session, and drops every expired one while at it. */
    public void closeSession(String secret) {
        jdbc.query("DELETE FROM sessions WHERE token_hash = ? OR expires_at <= now() RETURNING user_id",
                rs -> null, Digests.sha256(secret == null ? "" : secret));
    }

    // ---- sign-in throttling

    /** The counter key of a user name tried, which is also the audit target of its failures: {@code user:NAME}. */
    public static String nameKey(String name) {
        String n = name == null ? "" : name;
        return "user:" + (n.length() > LONGEST_NAME_TRIED ? n.substring(0, LONGEST_NAME_TRIED) : n);
    }

    /** The counter key of a client address: {@code client:ADDRESS}. */
    public static String clientKey(String client) {
        return "client:" + client;
    }

    /**
     * Starts a sign-in of {@code name} from {@code client}, in one transaction that holds both keys' rows (on the
     * database's clock, so every console process counts alike). While either key is locked out the attempt is
     * refused and only counted ({@code refused_while_locked}). Otherwise it counts as a failure of both keys at once,
     * before the password is checked, so that however many attempts arrive together at most the limit of them are
     * checked before the lock-out; {@link #signInSucceeded} takes the count back when the password proves right.
     */
    public SignInAttempt beginSignIn(String name, String client) {
        // Sorted, so that two processes lock the same rows in the same order.
        Map<String, Integer> limits = new TreeMap<>(Map.of(clientKey(client), FAILURES_PER_CLIENT, nameKey(name), FAILURES_PER_NAME));
        List<String> keys = List.copyOf(limits.keySet());
        return jdbc.inTransaction(c -> {
            Jdbc.execute(c, "INSERT INTO login_throttle (key) VALUES (?), (?) ON CONFLICT (key) DO NOTHING",
                    keys.get(0), keys.get(1));
            Map<String, SignInFailures> counts = new TreeMap<>();
            Instant now = Instant.EPOCH;
            try (var ps = Jdbc.prepare(c, "SELECT *, now() AS db_now FROM login_throttle WHERE key IN (?, ?) "
                    + "ORDER BY key FOR UPDATE", keys.get(0), keys.get(1)); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    now = rs.getTimestamp("db_now").toInstant();
                    counts.put(rs.getString("key"), SignInFailures.of(rs));
                }
            }
            Instant lockedUntil = null;
            boolean firstRefusal = false;
            for (Map.Entry<String, SignInFailures> e : counts.entrySet()) {
                Instant until = e.getValue().lockedUntil();
                if (until != null && until.isAfter(now)) {
                    lockedUntil = lockedUntil == null || until.isAfter(lockedUntil) ? until : lockedUntil;
                    firstRefusal |= e.getValue().refusedWhileLocked() == 0;
                    Jdbc.execute(c, "UPDATE login_throttle SET refused_while_locked = refused_while_locked + 1 "
                            + "WHERE key = ?", e.getKey());
                }
            }
            if (lockedUntil != null) {
                return new SignInAttempt(name, client, lockedUntil, firstRefusal, List.of(), null, null);
            }
            List<LockOut> started = new ArrayList<>();
            Map<String, SignInFailures> after = new TreeMap<>();
            for (Map.Entry<String, SignInFailures> e : counts.entrySet()) {
                SignInFailures next = e.getValue().afterFailure(now, limits.get(e.getKey()));
                after.put(e.getKey(), next);
                store(c, e.getKey(), next);
                if (next.lockedUntil() != null && !next.lockedUntil().equals(e.getValue().lockedUntil())) {
                    started.add(new LockOut(e.getKey(), next.lockedUntil(), next.lockouts()));
                }
            }
            return new SignInAttempt(name, client, null, false, started, counts.get(clientKey(client)), after.get(clientKey(client)));
        });
    }

    /**
     * After the password of an attempt {@link #beginSignIn} let in proved right: forgets the name's failures and takes
     * back the attempt's count of the client address, with any lock-out of the address that it started. The
     * address's other failures stay until they age out, or one good account would let an address go on trying other
     * names.
     */
    public void signInSucceeded(SignInAttempt attempt) {
        if (!attempt.admitted()) {
            throw new IllegalArgumentException("attempt: a refused sign-in cannot succeed");
        }
        clearSignInFailures(attempt.name);
        String key = clientKey(attempt.client);
        jdbc.inTransaction(c -> {
            SignInFailures now;
            try (var ps = Jdbc.prepare(c, "SELECT * FROM login_throttle WHERE key = ? FOR UPDATE", key);
                 ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                now = SignInFailures.of(rs);
            }
            SignInFailures before = attempt.clientBefore;
            SignInFailures ours = attempt.clientAfter;
            SignInFailures restored;
            if (ours.lockedUntil() != null && ours.lockedUntil().equals(now.lockedUntil())
                    && !ours.lockedUntil().equals(before.lockedUntil())) {
                // Our attempt locked the address, so nothing counted since (only refusals, which were not its fault).
                restored = before;
            } else if (Objects.equals(ours.windowStart(), now.windowStart()) && now.failures() > 0) {
                restored = new SignInFailures(now.failures() - 1, now.windowStart(),
                        ours.lastFailureAt().equals(now.lastFailureAt()) ? before.lastFailureAt() : now.lastFailureAt(),
                        now.lockouts(), now.lockedUntil(), now.refusedWhileLocked());
            } else {
                return null;
            }
            if (restored.lastFailureAt() == null && restored.lockouts() == 0 && restored.failures() == 0) {
                Jdbc.execute(c, "DELETE FROM login_throttle WHERE key = ?", key);
            } else {
                store(c, key, restored);
            }
            return null;
        });
    }

    /**
     * Forgets the name's failures (after a successful sign-in, or an admin's password reset), and drops every key
     * idle for a day while at it.
     */
    public void clearSignInFailures(String name) {
        jdbc.query("DELETE FROM login_throttle WHERE key = ? OR (last_failure_at < now() - make_interval(secs => ?) "
                + "AND (locked_until IS NULL OR locked_until < now())) RETURNING key", rs -> null, nameKey(name),
                FAILURES_FORGOTTEN_AFTER.toSeconds());
    }

    private static void store(Connection c, String key, SignInFailures f) throws SQLException {
        Jdbc.execute(c, "UPDATE login_throttle SET failures = ?, window_start = ?, last_failure_at = ?, "
                + "lockouts = ?, locked_until = ?, refused_while_locked = ? WHERE key = ?", f.failures(),
                timestamp(f.windowStart()), timestamp(f.lastFailureAt()), f.lockouts(), timestamp(f.lockedUntil()),
                f.refusedWhileLocked(), key);
    }

    /**
     * A sign-in as {@link #beginSignIn} decided it. Let in ({@link #admitted()}), it already counts as a failure,
     * and {@link #lockOuts()} are the lock-outs it started: they stand unless {@link #signInSucceeded} is called.
     * Refused, {@link #lockedUntil()} says until when; only the {@link #firstRefusal()} of a lock-out is worth an
     * audit row, the others are only counted.
     */
    public static final class SignInAttempt {
        private final String name;
        private final String client;
        private final Instant lockedUntil;
        private final boolean firstRefusal;
        private final List<LockOut> lockOuts;
        private final SignInFailures clientBefore;
        private final SignInFailures clientAfter;

        private SignInAttempt(String name, String client, Instant lockedUntil, boolean firstRefusal, List<LockOut> lockOuts,
                              SignInFailures clientBefore, SignInFailures clientAfter) {
            this.name = name;
            this.client = client;
            this.lockedUntil = lockedUntil;
            this.firstRefusal = firstRefusal;
            this.lockOuts = List.copyOf(lockOuts);
            this.clientBefore = clientBefore;
            this.clientAfter = clientAfter;
        }

        /** Whether the password may be checked. */
        public boolean admitted() {
            return lockedUntil == null;
        }

        /** Until when the name or the address is locked out, if the attempt was refused. */
        public Optional<Instant> lockedUntil() {
            return Optional.ofNullable(lockedUntil);
        }

        /** Whether this refusal is the first since its lock-out began. */
        public boolean firstRefusal() {
            return firstRefusal;
        }

        /** The lock-outs this attempt started, which stand if its password proves wrong. */
        public List<LockOut> lockOuts() {
            return lockOuts;
        }
    }

    /** One key's sign-in counters as stored; {@code lockouts} counts lock-outs in a row. */
    private record SignInFailures(int failures, Instant windowStart, Instant lastFailureAt, int lockouts, Instant lockedUntil,
                                  int refusedWhileLocked) {

        static SignInFailures of(ResultSet rs) throws SQLException {
            return new SignInFailures(rs.getInt("failures"), instant(rs.getTimestamp("window_start")),
                    instant(rs.getTimestamp("last_failure_at")), rs.getInt("lockouts"), instant(rs.getTimestamp("locked_until")),
                    rs.getInt("refused_while_locked"));
        }

        /** The count after one more failure at {@code now}, where {@code limit} failures in a window lock the key. */
        SignInFailures afterFailure(Instant now, int limit) {
            int inARow = lastFailureAt == null || lastFailureAt.isBefore(now.minus(FAILURES_FORGOTTEN_AFTER)) ? 0 : lockouts;
            boolean windowOpen = windowStart != null && windowStart.isAfter(now.minus(FAILURE_WINDOW));
            int count = (windowOpen ? failures : 0) + 1;
            if (count < limit) {
                return new SignInFailures(count, windowOpen ? windowStart : now, now, inARow, lockedUntil, refusedWhileLocked);
            }
            Duration lock = FIRST_LOCKOUT.multipliedBy(1L << Math.min(inARow, 16));
            return new SignInFailures(0, null, now, inARow + 1, now.plus(lock.compareTo(LONGEST_LOCKOUT) > 0 ? LONGEST_LOCKOUT : lock), 0);
        }
    }

    // ---- artifacts in teams

    /**
     * The teams of the runs whose stages consumed or produced an artifact (null for a run without a team): who
     * may see the artifact.
     */
    public List<String> teamsUsingArtifact(String digest) {
        return jdbc.query("SELECT DISTINCT r.team FROM lineage l JOIN stages s ON s.id = l.stage_id "
                + "JOIN runs r ON r.id = s.run_id WHERE l.artifact = ?", rs -> rs.getString(1), digest);
    }

    // ---- plumbing

    private User existing(String userName) {
        return user(userName).orElseThrow(() -> new IllegalArgumentException("user: no user '" + userName + "'"));
    }

    private Optional<User> userById(long id) {
        return one(jdbc.query("SELECT * FROM users WHERE id = ?", this::userOf, id));
    }

    private User userOf(ResultSet rs) throws SQLException {
        long id = rs.getLong("id");
        List<String> teams = jdbc.query("SELECT team FROM team_members WHERE user_id = ? ORDER BY id",
                r -> r.getString(1), id);
        return new User(id, rs.getString("name"), Role.of(rs.getString("role")), teams,
                rs.getTimestamp("created_at").toInstant(), instant(rs.getTimestamp("disabled_at")));
    }

    private static ApiToken tokenOf(ResultSet rs) throws SQLException {
        return new ApiToken(rs.getLong("id"), rs.getString("user_name"), rs.getString("name"),
                rs.getTimestamp("created_at").toInstant(), instant(rs.getTimestamp("last_used_at")),
                instant(rs.getTimestamp("revoked_at")));
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    private static Timestamp timestamp(Instant i) {
        return i == null ? null : Timestamp.from(i);
    }

    private static <T> Optional<T> one(List<T> rows) {
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }

    private static void requireName(String field, String name) {
        if (name == null || !name.matches(NAME_RULE)) {
            throw new IllegalArgumentException(field + ": 1 to 64 of a-z, 0-9, '.', '_' or '-', starting with a letter "
                    + "or digit; got '" + name + "'");
        }
    }

    private static void requirePassword(String userName, String password) {
        if (password == null || password.length() < MIN_PASSWORD_LENGTH) {
            throw new IllegalArgumentException("password: at least " + MIN_PASSWORD_LENGTH + " characters");
        }
        if (password.strip().equalsIgnoreCase(userName)) {
            throw new IllegalArgumentException("password: must not be the user name");
        }
    }

    private static byte[] pbkdf2(String password, byte[] salt, int iterations) {
        try {
            PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, 256);
            try {
                return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
            } finally {
                spec.clearPassword();
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is missing from this JDK", e);
        }
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
