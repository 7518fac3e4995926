package dev.lmforge.services.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lmforge.services.RealStack;
import dev.lmforge.services.artifacts.Digests;
import dev.lmforge.services.ledger.Records.NewRun;
import dev.lmforge.services.ledger.UserStore.LockOut;
import dev.lmforge.services.ledger.UserStore.NewToken;
import dev.lmforge.services.ledger.UserStore.Role;
import dev.lmforge.services.ledger.UserStore.SignInAttempt;
import dev.lmforge.services.ledger.UserStore.User;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Users, teams, tokens, sessions and sign-in throttling on a real PostgreSQL. */
class UserStoreTest {

    @TempDir
    static Path dir;
    static RealStack stack;
    static UserStore users;

    @BeforeAll
    static void start() {
        stack = RealStack.start(dir);
        users = new UserStore(stack.ledger().jdbc());
        users.createTeam("red");
        users.createTeam("blue");
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    @Test
    void aPasswordIsStoredOnlyAsASaltedHashAndChecked() {
        String password = "correct horse battery";
        User ann = users.createUser("ann", password, Role.OPERATOR, List.of("blue", "red"));
        assertEquals(List.of("blue", "red"), ann.teams(), "membership order: blue is ann's default team");
        assertEquals(Role.OPERATOR, ann.role());

        List<String> row = stack.ledger().jdbc().query("SELECT encode(password_hash, 'hex') || encode(password_salt, 'hex') "
                + "|| password_iterations || name || role FROM users WHERE name = 'ann'", rs -> rs.getString(1));
        String hexPassword = HexFormat.of().formatHex(password.getBytes(StandardCharsets.UTF_8));
        assertFalse(row.get(0).contains(hexPassword) || row.get(0).contains(password), "the password is not in the row");
        assertTrue(row.get(0).contains(String.valueOf(UserStore.PASSWORD_ITERATIONS)));

        assertEquals("ann", users.authenticate("ann", password).orElseThrow().name());
        assertTrue(users.authenticate("ann", password + "!").isEmpty());
        assertTrue(users.authenticate("nobody", password).isEmpty());

        users.createUser("bob", password, Role.VIEWER, List.of());
        List<String> hashes = stack.ledger().jdbc().query("SELECT encode(password_hash, 'hex') FROM users WHERE name IN ('ann', 'bob')",
                rs -> rs.getString(1));
        assertFalse(hashes.get(0).equals(hashes.get(1)), "the same password hashes differently for each user (salt)");
    }

    @Test
    void badUsersAreRefusedNamingTheField() {
        assertEquals("role: must be viewer, operator or admin, got 'root'",
                assertThrows(IllegalArgumentException.class, () -> Role.of("root")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> users.createUser("Eve Smith", "long enough password", Role.VIEWER, List.of())).getMessage().startsWith("name:"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> users.createUser("eve", "short", Role.VIEWER, List.of())).getMessage().startsWith("password:"));
        assertEquals("password: must not be the user name", assertThrows(IllegalArgumentException.class,
                () -> users.createUser("eve.longname.x", "Eve.Longname.X", Role.VIEWER, List.of())).getMessage());
        assertEquals("teams[1]: no team 'green'", assertThrows(IllegalArgumentException.class,
                () -> users.createUser("eve", "long enough password", Role.VIEWER, List.of("red", "green"))).getMessage());
        assertTrue(users.user("eve").isEmpty(), "nothing was stored");
        users.createUser("dup", "long enough password", Role.VIEWER, List.of());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> users.createUser("dup", "long enough password", Role.ADMIN, List.of())).getMessage().startsWith("name:"));
    }

    @Test
    void aTokenIsShownOnceStoredAsAHashAndStopsWorkingWhenRevoked() {
        users.createUser("cid", "long enough password", Role.OPERATOR, List.of("red"));
        NewToken made = users.createToken("cid", "laptop");
        assertTrue(made.secret().startsWith("lmf_") && made.secret().length() > 40, made.secret());
        assertEquals(0L, (long) stack.ledger().jdbc().query("SELECT count(*) FROM api_tokens WHERE token_hash = ? OR name = ?",
                rs -> rs.getLong(1), made.secret(), made.secret()).get(0), "the secret itself is stored nowhere");

        assertEquals("cid", users.userOfToken(made.secret()).orElseThrow().name());
        assertTrue(users.token(made.token().id()).orElseThrow().lastUsedAt() != null, "use is noted");
        assertTrue(users.userOfToken(made.secret() + "x").isEmpty());
        assertTrue(users.userOfToken("not-a-token").isEmpty());

        assertTrue(users.revokeToken(made.token().id()));
        assertFalse(users.revokeToken(made.token().id()), "already revoked");
        assertTrue(users.userOfToken(made.secret()).isEmpty());
        assertFalse(users.isLiveToken(made.secret()));
        assertTrue(users.tokens("cid").get(0).revokedAt() != null);
    }

    @Test
    void aSessionLastsUntilClosedOrExpired() {
        User dee = users.createUser("dee", "long enough password", Role.VIEWER, List.of("red"));
        String session = users.openSession(dee.id(), Duration.ofHours(1));
        assertEquals("dee", users.userOfSession(session).orElseThrow().name());
        users.closeSession(session);
        assertTrue(users.userOfSession(session).isEmpty());

        String expired = users.openSession(dee.id(), Duration.ofSeconds(-1));
        assertTrue(users.userOfSession(expired).isEmpty());
        assertTrue(users.userOfSession(null).isEmpty());
    }

    @Test
    void aPasswordChangeClosesTheOtherSessionsAndKeepsTheTokens() {
        User fay = users.createUser("fay", "fay's first password", Role.VIEWER, List.of("red"));
        String here = users.openSession(fay.id(), Duration.ofHours(1));
        String elsewhere = users.openSession(fay.id(), Duration.ofHours(1));
        NewToken token = users.createToken("fay", "laptop");
        assertEquals("password: at least 12 characters", assertThrows(IllegalArgumentException.class,
                () -> users.changePassword("fay", "short", here)).getMessage());
        assertEquals("password: must not be the user name", assertThrows(IllegalArgumentException.class,
                () -> users.changePassword("fay", " FAY" + " ".repeat(12), here)).getMessage());
        assertTrue(users.authenticate("fay", "fay's first password").isPresent(), "a refused change changes nothing");

        assertEquals(1, users.changePassword("fay", "fay's second password", here));
        assertTrue(users.authenticate("fay", "fay's first password").isEmpty());
        assertTrue(users.authenticate("fay", "fay's second password").isPresent());
        assertTrue(users.userOfSession(here).isPresent(), "the session that asked stays");
        assertTrue(users.userOfSession(elsewhere).isEmpty());
        assertTrue(users.userOfToken(token.secret()).isPresent());

        assertEquals(1, users.changePassword("fay", "fay's third password", null), "an admin's reset closes them all");
        assertTrue(users.userOfSession(here).isEmpty());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> users.changePassword("nobody", "long enough password", null)).getMessage().startsWith("user:"));
    }

    @Test
    void aDisabledUserIsRefusedEverywhereUntilEnabledWhenTheirLiveTokensWorkAgain() {
        String password = "gus's own password";
        User gus = users.createUser("gus", password, Role.OPERATOR, List.of("red"));
        String session = users.openSession(gus.id(), Duration.ofHours(1));
        NewToken live = users.createToken("gus", "live");
        NewToken revoked = users.createToken("gus", "revoked");
        users.revokeToken(revoked.token().id());

        assertTrue(users.disable("gus"));
        assertFalse(users.disable("gus"), "already disabled");
        assertTrue(users.user("gus").orElseThrow().disabledAt() != null);
        assertTrue(users.authenticate("gus", password).isEmpty());
        assertTrue(users.userOfSession(session).isEmpty());
        assertTrue(users.userOfToken(live.secret()).isEmpty());

        assertTrue(users.enable("gus"));
        assertFalse(users.enable("gus"), "already enabled");
        assertTrue(users.user("gus").orElseThrow().disabledAt() == null);
        assertTrue(users.authenticate("gus", password).isPresent());
        assertEquals("gus", users.userOfToken(live.secret()).orElseThrow().name());
        assertTrue(users.userOfToken(revoked.secret()).isEmpty(), "a revoked token stays revoked");
        assertTrue(users.userOfSession(session).isEmpty(), "disabling closed the sessions for good");
    }

    @Test
    void failedSignInsLockANameOutForLongerEachTimeWhetherOrNotTheUserExists() {
        String client = "192.0.2.1";
        for (String name : List.of("hal", "no-such-user")) {
            for (int i = 1; i < UserStore.FAILURES_PER_NAME; i++) {
                SignInAttempt attempt = users.beginSignIn(name, client);
                assertTrue(attempt.admitted(), "attempt " + i);
                assertEquals(List.of(), attempt.lockOuts(), "attempt " + i);
            }
            SignInAttempt last = users.beginSignIn(name, client);
            assertTrue(last.admitted(), "the attempt that reaches the limit is still checked");
            List<LockOut> locked = last.lockOuts();
            assertEquals(List.of(UserStore.nameKey(name)), locked.stream().map(LockOut::key).toList());
            assertLocksFor(UserStore.FIRST_LOCKOUT, locked.get(0).until());
            assertEquals(locked.get(0).until(), users.beginSignIn(name, client).lockedUntil().orElseThrow());
            assertTrue(users.beginSignIn(name, "192.0.2.2").lockedUntil().isPresent(), "the name is locked from any address");
        }

        // The lock-out ends; the next one of the same name in a row lasts twice as long.
        endLockOut("hal");
        for (int i = 1; i < UserStore.FAILURES_PER_NAME; i++) {
            assertTrue(users.beginSignIn("hal", client).admitted());
        }
        LockOut second = users.beginSignIn("hal", client).lockOuts().get(0);
        assertEquals(2, second.inARow());
        assertLocksFor(UserStore.FIRST_LOCKOUT.multipliedBy(2), second.until());

        // Failures older than the window do not count towards a lock-out (from another address: this one has
        // nearly reached its own limit).
        client = "192.0.2.3";
        endLockOut("hal");
        users.beginSignIn("hal", client);
        stack.ledger().jdbc().query("UPDATE login_throttle SET window_start = now() - make_interval(secs => ?) WHERE key = ? RETURNING key",
                rs -> null, UserStore.FAILURE_WINDOW.toSeconds() + 1, UserStore.nameKey("hal"));
        for (int i = 1; i < UserStore.FAILURES_PER_NAME; i++) {
            assertEquals(List.of(), users.beginSignIn("hal", client).lockOuts(), "attempt " + i + " of a new window");
        }

        users.signInSucceeded(users.beginSignIn("hal", client));
        SignInAttempt afterSuccess = users.beginSignIn("hal", client);
        assertTrue(afterSuccess.admitted());
        assertEquals(List.of(), afterSuccess.lockOuts(), "a success starts the count again");
        assertTrue(users.beginSignIn("no-such-user", client).lockedUntil().isPresent(), "other names keep theirs");
    }

    @Test
    void oneAddressTryingManyNamesIsLockedOutButOthersAreNot() {
        String client = "198.51.100.7";
        for (int i = 1; i < UserStore.FAILURES_PER_CLIENT; i++) {
            assertEquals(List.of(), users.beginSignIn("sprayed-" + i, client).lockOuts());
        }
        List<LockOut> locked = users.beginSignIn("sprayed-last", client).lockOuts();
        assertEquals(List.of(UserStore.clientKey(client)), locked.stream().map(LockOut::key).toList());
        assertTrue(users.beginSignIn("ivy", client).lockedUntil().isPresent(), "any name from that address");
        assertTrue(users.beginSignIn("ivy", "198.51.100.8").admitted(), "another address may go on");
        users.clearSignInFailures("sprayed-last");
        assertTrue(users.beginSignIn("ivy", client).lockedUntil().isPresent(), "one success does not clear the address");
    }

    @Test
    void aSuccessfulSignInTakesBackItsCountOfTheAddressEvenTheOneThatWouldLockIt() {
        String client = "198.51.100.20";
        for (int i = 1; i < UserStore.FAILURES_PER_CLIENT; i++) {
            users.signInSucceeded(users.beginSignIn("good-" + i, client));
        }
        assertEquals(List.of(), stack.ledger().jdbc().query("SELECT key FROM login_throttle WHERE key = ?", rs -> rs.getString(1),
                UserStore.clientKey(client)), "successes alone leave nothing behind");
        for (int i = 1; i < UserStore.FAILURES_PER_CLIENT; i++) {
            users.beginSignIn("wrong-" + i, client);
        }
        SignInAttempt locking = users.beginSignIn("right", client);
        assertEquals(List.of(UserStore.clientKey(client)), locking.lockOuts().stream().map(LockOut::key).toList());
        users.signInSucceeded(locking);
        assertTrue(users.beginSignIn("other", "198.51.100.21").admitted());
        assertTrue(users.beginSignIn("right", client).admitted(), "the right password undid the lock-out it began");
        assertTrue(users.beginSignIn("right-again", client).lockedUntil().isPresent(), "but the failures still count");
    }

    @Test
    void parallelAttemptsAreCheckedAtMostTheLimitAndALockedOutFloodIsCountedNotListed() throws Exception {
        int parallel = 30;
        ExecutorService pool = Executors.newFixedThreadPool(parallel);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<SignInAttempt>> attempts = new ArrayList<>();
            for (int i = 0; i < parallel; i++) {
                String client = "203.0.113." + i;
                attempts.add(pool.submit(() -> {
                    start.await();
                    return users.beginSignIn("raced", client);
                }));
            }
            start.countDown();
            List<SignInAttempt> done = new ArrayList<>();
            for (Future<SignInAttempt> f : attempts) {
                done.add(f.get(30, TimeUnit.SECONDS));
            }
            assertEquals(UserStore.FAILURES_PER_NAME, done.stream().filter(SignInAttempt::admitted).count(),
                    "only the limit of attempts may check a password");
            assertEquals(1, done.stream().flatMap(a -> a.lockOuts().stream()).count(), "one lock-out");
            assertEquals(1, done.stream().filter(SignInAttempt::firstRefusal).count(), "one refusal worth an audit row");
            assertEquals(List.of(parallel - UserStore.FAILURES_PER_NAME), stack.ledger().jdbc().query(
                    "SELECT refused_while_locked FROM login_throttle WHERE key = ?", rs -> rs.getInt(1), UserStore.nameKey("raced")));
        } finally {
            pool.shutdownNow();
        }
    }

    /** As if the name's lock-out had run its time. */
    private static void endLockOut(String name) {
        stack.ledger().jdbc().query("UPDATE login_throttle SET locked_until = now() - interval '1 second' WHERE key = ? RETURNING key",
                rs -> null, UserStore.nameKey(name));
    }

    private static void assertLocksFor(Duration expected, Instant until) {
        Duration left = Duration.between(Instant.now(), until);
        assertTrue(left.compareTo(expected) <= 0 && left.compareTo(expected.minusSeconds(30)) > 0,
                "locked for " + left + ", expected about " + expected);
    }

    @Test
    void runsOfTeamsAreListedWithTheSameFiltersAndTheirArtifactsKnowTheirTeams() {
        Ledger ledger = stack.ledger();
        ledger.runs().createRun(new NewRun("run-t-red-1", "scoped-a", "red", "ann", "{}", "", List.of(), null));
        ledger.runs().createRun(new NewRun("run-t-blue-1", "scoped-b", "blue", "ann", "{}", "", List.of(), null));
        ledger.runs().createRun(new NewRun("run-t-none", "scoped-c", null, "ann", "{}", "", List.of(), null));
        ledger.runs().createRun(new NewRun("run-t-red-2", "other", "red", "ann", "{}", "", List.of(), null));
        assertEquals(List.of("run-t-red-1"), ledger.runs().runSummaries(null, "scoped", List.of("red"), 10, 0).items().stream()
                .map(Records.RunSummary::id).toList());
        assertEquals(2, ledger.runs().runSummaries("QUEUED", "scoped", List.of("red", "blue"), 10, 0).total());
        assertEquals(0, ledger.runs().runSummaries(null, null, List.of(), 10, 0).total());
        assertEquals(0, ledger.runs().runSummaries("SUCCEEDED", null, List.of("red"), 10, 0).total());

        String digest = Digests.sha256("scoped artifact");
        ledger.artifacts().recordArtifact(digest, "corpus", 1, "{}");
        assertEquals(List.of(), users.teamsUsingArtifact(digest));
        long stage = ledger.runs().beginStage("run-t-blue-1", "data", 1, "key-scoped", "{}", Map.of(), null);
        ledger.runs().stageSucceeded(stage, Map.of("corpus", digest), "{}");
        assertEquals(List.of("blue"), users.teamsUsingArtifact(digest));
    }
}
