package dev.lmforge.web.auth;

import dev.lmforge.services.ledger.AuditLog;
import dev.lmforge.services.ledger.LedgerJson;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.services.ledger.UserStore.LockOut;
import dev.lmforge.services.ledger.UserStore.SignInAttempt;
import dev.lmforge.services.ledger.UserStore.User;
import dev.lmforge.web.problem.ProblemException;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks a user name and password as every sign-in must. While the name or the client address is locked out it
 * refuses without looking at the password (429 saying when to try again, the same whether or not the user
 * exists); only the first refusal of a lock-out is audited, the rest are counted. Every attempt counts against
 * both before its password is checked, so parallel guesses cannot outrun the limit. A wrong password is audited
 * with the name tried and the address, never the password; a lock-out it starts is audited too. A right one
 * clears the name's count.
 */
@ApplicationScoped
public class PasswordCheck {

    /** What the password is checked for, which names its audit events ({@code ACTION.fail}, {@code ACTION.locked}). */
    public enum Purpose {
        SIGN_IN("session.login"), PASSWORD_CHANGE("user.password.change");

        private final String action;

        Purpose(String action) {
            this.action = action;
        }
    }

    @Inject
    UserStore users;
    @Inject
    AuditLog audit;

    /**
     * The enabled user with this name and password, or empty if either is wrong (or the user is disabled). 429
     * while locked out, and when this failure starts a lock-out. {@code client} is the address the request came from.
     */
    public Optional<User> verify(String name, String password, String client, Purpose purpose) {
        // A failed sign-in has no user yet; a wrong current password is tried by the signed-in user themself.
        String actor = purpose == Purpose.SIGN_IN ? RefusalAudit.ANONYMOUS : name;
        String target = UserStore.nameKey(name);
        SignInAttempt attempt = users.beginSignIn(name, client);
        if (attempt.lockedUntil().isPresent()) {
            Instant until = attempt.lockedUntil().get();
            // One row per lock-out: a flood of attempts while locked would otherwise fill the audit log.
            if (attempt.firstRefusal()) {
                audit.append(actor, purpose.action + ".locked", target, LedgerJson.toJson(Map.of("client", client,
                        "until", until.toString(), "note", "later attempts in this lock-out are counted, not audited")));
            }
            throw lockedOut(until);
        }
        Optional<User> user = users.authenticate(name, password);
        if (user.isPresent()) {
            users.signInSucceeded(attempt);
            return user;
        }
        List<LockOut> started = attempt.lockOuts();
        audit.append(actor, purpose.action + ".fail", target, LedgerJson.toJson(Map.of("client", client)));
        for (LockOut lockOut : started) {
            audit.append("lmforge", "session.lockout", lockOut.key(), LedgerJson.toJson(Map.of("until",
                    lockOut.until().toString(), "lockOutsInARow", lockOut.inARow(), "client", client, "nameTried", target)));
        }
        if (!started.isEmpty()) {
            throw lockedOut(started.stream().map(LockOut::until).max(Comparator.naturalOrder()).orElseThrow());
        }
        return Optional.empty();
    }

    /** The address a request came from (the proxy's, unless Quarkus is told to trust forwarded headers). */
    public static String clientOf(HttpServerRequest request) {
        SocketAddress address = request.remoteAddress();
        return address == null || address.hostAddress() == null ? "unknown" : address.hostAddress();
    }

    private static ProblemException lockedOut(Instant until) {
        long seconds = Math.max(1, Duration.between(Instant.now(), until).toSeconds() + 1);
        return ProblemException.tooManyRequests("too many failed sign-ins for this user name or from this address; try "
                + "again in " + (seconds + 59) / 60 + " min (after " + until.truncatedTo(ChronoUnit.SECONDS) + ")", seconds);
    }
}
