package dev.lmforge.web.auth;

import dev.lmforge.services.ledger.UserStore.User;
import dev.lmforge.web.problem.ProblemException;
import jakarta.enterprise.context.RequestScoped;
import java.util.Optional;

/**
 * Who makes the current request, as {@link CredentialFilter} found them: a user signed in with a session cookie
 * or an API token. Resources ask it for the user; a request without credentials never reaches them.
 */
@RequestScoped
public class Caller {

    private User user;
    private String session;

    void signedIn(User user, String session) {
        this.user = user;
        this.session = session;
    }

    /** The user making this request; 401 if none (a resource outside the filter's reach asked). */
    public User user() {
        if (user == null) {
            throw ProblemException.unauthorized("sign in, or send 'Authorization: Bearer TOKEN'");
        }
        return user;
    }

    /** The user making this request, if their credentials were checked (a refusal's audit event names them). */
    Optional<User> known() {
        return Optional.ofNullable(user);
    }

    /** The session cookie's value when the request came with one (not with a token), else null. */
    String session() {
        return session;
    }
}
