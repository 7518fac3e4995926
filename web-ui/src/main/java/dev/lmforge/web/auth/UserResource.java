package dev.lmforge.web.auth;

import dev.lmforge.services.ledger.AuditLog;
import dev.lmforge.services.ledger.LedgerJson;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.services.ledger.UserStore.Role;
import dev.lmforge.services.ledger.UserStore.User;
import dev.lmforge.web.problem.ProblemException;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Users and teams: admins list and create them, add members, reset passwords and disable or enable users;
 * everyone sees their own teams.
 */
@Path("/api")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "users")
public class UserResource {

    @Inject
    UserStore users;
    @Inject
    AuditLog audit;
    @Inject
    Caller caller;

    /** A user to create: {@code role} viewer, operator or admin; {@code teams} in order, the first the default. */
    public record NewUser(String name, String password, String role, List<String> teams) {
    }

    /** A team to create, or to add a user to. */
    public record TeamName(String name) {
    }

    /** A new password an admin sets for someone else. */
    public record NewPassword(String password) {
    }

    private static final String USER = "The user's name.";

    @GET
    @Path("users")
    @Operation(summary = "List users", description = "Every user with their role, teams and whether they are disabled. Admins only.")
    @APIResponse(responseCode = "200", description = "The users.")
    @APIResponse(responseCode = "403", description = "The caller is not an admin.")
    public List<User> users() {
        Permissions.requireRole(caller.user(), Role.ADMIN, "list users");
        return users.users();
    }

    @POST
    @Path("users")
    @Operation(summary = "Create a user", description = "A user with a password, a role (viewer, operator or admin) "
            + "and teams in order, the first their default; audited. Admins only.")
    @APIResponse(responseCode = "201", description = "The user, and its URL in Location.",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = User.class)))
    @APIResponse(responseCode = "400", description = "A field is missing or refused (it is named), or the user exists.")
    @APIResponse(responseCode = "403", description = "The caller is not an admin.")
    public Response createUser(NewUser body) {
        User admin = caller.user();
        Permissions.requireRole(admin, Role.ADMIN, "create users");
        if (body == null) {
            throw ProblemException.badRequest("a JSON body {name, password, role, teams} is required");
        }
        User created;
        try {
            created = users.createUser(body.name(), body.password(), Role.of(body.role()),
                    body.teams() == null ? List.of() : body.teams());
        } catch (IllegalArgumentException e) {
            throw ProblemException.invalid(e);
        }
        audit.append(admin.name(), "user.create", "user:" + created.name(),
                LedgerJson.toJson(Map.of("role", created.role().id(), "teams", created.teams())));
        return Response.created(URI.create("/api/users/" + created.name())).entity(created).build();
    }

    /** Adds the user to a team, after their other teams. */
    @POST
    @Path("users/{name}/teams")
    @Operation(summary = "Add a user to a team", description = "Adds the user to an existing team, after their other "
            + "teams; audited. Admins only.")
    @APIResponse(responseCode = "200", description = "The user with their teams.")
    @APIResponse(responseCode = "400", description = "No such user or team, or the name is refused.")
    @APIResponse(responseCode = "403", description = "The caller is not an admin.")
    public User addToTeam(@Parameter(description = USER) @PathParam("name") String name, TeamName team) {
        User admin = caller.user();
        Permissions.requireRole(admin, Role.ADMIN, "change teams");
        try {
            users.addMember(name, team == null ? null : team.name());
        } catch (IllegalArgumentException e) {
            throw ProblemException.invalid(e);
        }
        audit.append(admin.name(), "team.member.add", "user:" + name, LedgerJson.toJson(Map.of("team", team.name())));
        return users.user(name).orElseThrow();
    }

    /**
     * Sets another user's password (an admin's own needs their current one: {@code POST /api/account/password}),
     * closes all their sessions and clears their failed sign-ins; their API tokens stay.
     */
    @POST
    @Path("users/{name}/password")
    @Operation(summary = "Reset a user's password", description = "Sets another user's password, closes all their "
            + "sessions and clears their failed sign-ins; their API tokens stay; audited. Admins only (their own "
            + "password through POST /api/account/password).")
    @APIResponse(responseCode = "200", description = "{closedSessions: N}.")
    @APIResponse(responseCode = "400", description = "The new password is refused.")
    @APIResponse(responseCode = "403", description = "The caller is not an admin.")
    @APIResponse(responseCode = "404", description = "No such user.")
    @APIResponse(responseCode = "409", description = "The admin named themself.")
    public Map<String, Integer> resetPassword(@Parameter(description = USER) @PathParam("name") String name, NewPassword body) {
        User admin = otherUser(name, "reset passwords", "change your own password with POST /api/account/password, "
                + "which asks for the current one");
        int closed;
        try {
            closed = users.changePassword(name, body == null ? null : body.password(), null);
        } catch (IllegalArgumentException e) {
            throw ProblemException.invalid(e);
        }
        users.clearSignInFailures(name);
        audit.append(admin.name(), "user.password.reset", "user:" + name, LedgerJson.toJson(Map.of("closedSessions", closed)));
        return Map.of("closedSessions", closed);
    }

    /** Disables a user: their sign-in, sessions and API tokens are refused (401) until they are enabled. No body. */
    @POST
    @Path("users/{name}/disable")
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Disable a user", description = "Their sign-in, sessions and API tokens are refused (401) "
            + "until they are enabled; audited. Admins only. No body.")
    @APIResponse(responseCode = "200", description = "The user, now disabled.")
    @APIResponse(responseCode = "403", description = "The caller is not an admin.")
    @APIResponse(responseCode = "404", description = "No such user.")
    @APIResponse(responseCode = "409", description = "The admin named themself.")
    public User disable(@Parameter(description = USER) @PathParam("name") String name) {
        User admin = otherUser(name, "disable users", "an admin cannot disable themself");
        if (users.disable(name)) {
            audit.append(admin.name(), "user.disable", "user:" + name, "{}");
        }
        return users.user(name).orElseThrow();
    }

    /** Enables a disabled user: they may sign in again, and their tokens that were not revoked work again. */
    @POST
    @Path("users/{name}/enable")
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Enable a user", description = "A disabled user may sign in again, and their tokens that "
            + "were not revoked work again; audited. Admins only. No body.")
    @APIResponse(responseCode = "200", description = "The user, now enabled.")
    @APIResponse(responseCode = "403", description = "The caller is not an admin.")
    @APIResponse(responseCode = "404", description = "No such user.")
    @APIResponse(responseCode = "409", description = "The admin named themself.")
    public User enable(@Parameter(description = USER) @PathParam("name") String name) {
        User admin = otherUser(name, "enable users", "an admin is never disabled while signed in");
        if (users.enable(name)) {
            audit.append(admin.name(), "user.enable", "user:" + name, "{}");
        }
        return users.user(name).orElseThrow();
    }

    /** The signed-in admin, acting on {@code name}: an existing user other than themself (409 with {@code self}). */
    private User otherUser(String name, String action, String self) {
        User admin = caller.user();
        Permissions.requireRole(admin, Role.ADMIN, action);
        if (users.user(name).isEmpty()) {
            throw ProblemException.notFound("no user '" + name + "'");
        }
        if (name.equals(admin.name())) {
            throw ProblemException.conflict(self);
        }
        return admin;
    }

    /** Every team for an admin; one's own teams for anyone else. */
    @GET
    @Path("teams")
    @Operation(summary = "List teams", description = "Every team for an admin; the caller's own teams for anyone else.")
    @APIResponse(responseCode = "200", description = "Team names.")
    public List<String> teams() {
        User user = caller.user();
        return user.role() == Role.ADMIN ? users.teams() : user.teams();
    }

    @POST
    @Path("teams")
    @Operation(summary = "Create a team", description = "A new, empty team; audited. Admins only.")
    @APIResponse(responseCode = "201", description = "The team: {name}.",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = TeamName.class)))
    @APIResponse(responseCode = "400", description = "The name is missing or refused, or the team exists.")
    @APIResponse(responseCode = "403", description = "The caller is not an admin.")
    public Response createTeam(TeamName team) {
        User admin = caller.user();
        Permissions.requireRole(admin, Role.ADMIN, "create teams");
        try {
            users.createTeam(team == null ? null : team.name());
        } catch (IllegalArgumentException e) {
            throw ProblemException.invalid(e);
        }
        audit.append(admin.name(), "team.create", "team:" + team.name(), "{}");
        return Response.status(201).entity(Map.of("name", team.name())).build();
    }
}
