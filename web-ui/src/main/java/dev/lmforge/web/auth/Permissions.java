package dev.lmforge.web.auth;

import dev.lmforge.services.ledger.UserStore.Role;
import dev.lmforge.services.ledger.UserStore.User;
import dev.lmforge.web.problem.ProblemException;
import java.util.List;

/**
 * The rules: a viewer reads, an operator also submits, pauses, resumes and cancels, each only in their own
 * teams; an admin does anything anywhere. Things of other teams are reported missing (404), never forbidden,
 * so their ids do not leak.
 */
public final class Permissions {

    private Permissions() {
    }

    /** Whether {@code user} may see things of {@code team} (null: a run made before teams, admins only). */
    public static boolean canSee(User user, String team) {
        return user.role() == Role.ADMIN || (team != null && user.teams().contains(team));
    }

    /** Whether {@code user} may see something used by runs of these teams. */
    public static boolean canSeeAny(User user, List<String> teams) {
        return teams.stream().anyMatch(t -> canSee(user, t));
    }

    /** 403 unless {@code user} has at least {@code role}; {@code action} says what they tried, for the message. */
    public static void requireRole(User user, Role role, String action) {
        if (!user.role().atLeast(role)) {
            throw ProblemException.forbidden("user '" + user.name() + "' has role " + user.role().id() + " and may not "
                    + action + "; that needs role " + role.id());
        }
    }

    /**
     * The team a spec of {@code user} runs in: the spec's own, which must be one of the user's teams (any team
     * for an admin), or else the user's first team. 403 naming {@code team} otherwise.
     */
    public static String teamFor(User user, String specTeam, List<String> knownTeams) {
        if (specTeam == null) {
            if (user.teams().isEmpty()) {
                throw forbiddenTeam("team: user '" + user.name() + "' belongs to no team; an admin must add them to one");
            }
            return user.teams().get(0);
        }
        boolean allowed = user.role() == Role.ADMIN ? knownTeams.contains(specTeam) : user.teams().contains(specTeam);
        if (!allowed) {
            throw forbiddenTeam("team: '" + specTeam + "' is not one of user '" + user.name() + "''s teams "
                    + (user.role() == Role.ADMIN ? knownTeams : user.teams()));
        }
        return specTeam;
    }

    /** 404 unless {@code team} is one of {@code knownTeams}: the check of every admin call on a named team. */
    public static void requireTeam(String team, List<String> knownTeams) {
        if (!knownTeams.contains(team)) {
            throw ProblemException.notFound("no team '" + team + "'");
        }
    }

    private static ProblemException forbiddenTeam(String message) {
        int colon = message.indexOf(':');
        return new ProblemException(403, "Forbidden", message,
                List.of(new ProblemException.FieldError("team", message.substring(colon + 2))));
    }
}
