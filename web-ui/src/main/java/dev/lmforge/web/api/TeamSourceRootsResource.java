package dev.lmforge.web.api;

import dev.lmforge.services.ledger.AuditLog;
import dev.lmforge.services.ledger.LedgerJson;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.services.ledger.UserStore.Role;
import dev.lmforge.services.ledger.UserStore.User;
import dev.lmforge.services.sources.SourceRefusedException;
import dev.lmforge.services.sources.SourceRoots;
import dev.lmforge.web.auth.Caller;
import dev.lmforge.web.auth.Permissions;
import dev.lmforge.web.problem.ProblemException;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The source roots of one team: where its specs may read besides the roots every team shares
 * ({@code lmforge.source-roots}). Members read them; admins set them.
 */
@Path("/api/teams/{team}/source-roots")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "users", description = "Users, teams, tokens, sessions and accounts")
public class TeamSourceRootsResource {

    /** More roots than this per team is a configuration mistake, not a need. */
    static final int MAX_ROOTS = 64;
    private static final String TEAM = "The team's name.";

    @Inject
    UserStore users;
    @Inject
    SourceRoots sources;
    @Inject
    AuditLog audit;
    @Inject
    Caller caller;

    /**
     * A team's source roots.
     *
     * @param team   the team
     * @param roots  the team's own roots, in order
     * @param shared the roots every team may read
     */
    public record TeamRoots(String team, List<String> roots, List<String> shared) {
    }

    /** The roots to set, replacing the team's own. */
    public record NewRoots(List<String> roots) {
    }

    @GET
    @Operation(summary = "Read a team's source roots", description = "Where the team's specs may read: its own roots, "
            + "and the roots every team shares (lmforge.source-roots). Members of the team and admins.")
    @APIResponse(responseCode = "200", description = "The team's own roots and the shared ones.")
    @APIResponse(responseCode = "404", description = "No such team, or not one of the caller's.")
    public TeamRoots get(@Parameter(description = TEAM) @PathParam("team") String team) {
        User user = caller.user();
        if (!Permissions.canSee(user, team) || !users.teams().contains(team)) {
            throw ProblemException.notFound("no team '" + team + "'");
        }
        return new TeamRoots(team, users.sourceRoots(team), sources.describe());
    }

    @PUT
    @Operation(summary = "Set a team's source roots", description = "Replaces the team's own roots (at most 64, each "
            + "an absolute folder or s3://bucket/prefix that passes the same checks as a spec's source); audited. Admins only.")
    @APIResponse(responseCode = "200", description = "The team's roots as now set, and the shared ones.")
    @APIResponse(responseCode = "400", description = "A root is refused, listed twice, or there are too many; the field is named.")
    @APIResponse(responseCode = "403", description = "The caller is not an admin.")
    @APIResponse(responseCode = "404", description = "No such team.")
    public TeamRoots set(@Parameter(description = TEAM) @PathParam("team") String team, NewRoots body) {
        User admin = caller.user();
        Permissions.requireRole(admin, Role.ADMIN, "set a team's source roots");
        Permissions.requireTeam(team, users.teams());
        List<String> roots = body == null || body.roots() == null ? List.of() : body.roots();
        List<ProblemException.FieldError> errors = new ArrayList<>();
        if (roots.size() > MAX_ROOTS) {
            errors.add(new ProblemException.FieldError("roots", "at most " + MAX_ROOTS + " roots, not " + roots.size()));
        }
        for (int i = 0; i < roots.size() && errors.isEmpty(); i++) {
            try {
                sources.checkRoot("roots[" + i + "]", roots.get(i));
            } catch (SourceRefusedException e) {
                errors.add(new ProblemException.FieldError(e.field(), e.rule()));
            }
        }
        if (errors.isEmpty() && new HashSet<>(roots).size() < roots.size()) {
            errors.add(new ProblemException.FieldError("roots", "a root is listed twice"));
        }
        if (!errors.isEmpty()) {
            throw new ProblemException(400, "Invalid Source Roots", errors.get(0).field() + ": "
                    + errors.get(0).message(), errors);
        }
        users.setSourceRoots(team, roots);
        audit.append(admin.name(), "team.source-roots.set", "team:" + team, LedgerJson.toJson(Map.of("roots", roots)));
        return new TeamRoots(team, users.sourceRoots(team), sources.describe());
    }
}
