package dev.lmforge.web.auth;

import dev.lmforge.services.ledger.AuditLog;
import dev.lmforge.services.ledger.MetadataStore;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.services.ledger.UserStore.Role;
import dev.lmforge.services.ledger.UserStore.User;
import dev.lmforge.web.api.ProblemException;
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

/** Users and teams: admins list and create them and add members; everyone sees their own teams. */
@Path("/api")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
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

    @GET
    @Path("users")
    public List<User> users() {
        Permissions.requireRole(caller.user(), Role.ADMIN, "list users");
        return users.users();
    }

    @POST
    @Path("users")
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
                MetadataStore.toJson(Map.of("role", created.role().id(), "teams", created.teams())));
        return Response.created(URI.create("/api/users/" + created.name())).entity(created).build();
    }

    /** Adds the user to a team, after their other teams. */
    @POST
    @Path("users/{name}/teams")
    public User addToTeam(@PathParam("name") String name, TeamName team) {
        User admin = caller.user();
        Permissions.requireRole(admin, Role.ADMIN, "change teams");
        try {
            users.addMember(name, team == null ? null : team.name());
        } catch (IllegalArgumentException e) {
            throw ProblemException.invalid(e);
        }
        audit.append(admin.name(), "team.member.add", "user:" + name, MetadataStore.toJson(Map.of("team", team.name())));
        return users.user(name).orElseThrow();
    }

    /** Every team for an admin; one's own teams for anyone else. */
    @GET
    @Path("teams")
    public List<String> teams() {
        User user = caller.user();
        return user.role() == Role.ADMIN ? users.teams() : user.teams();
    }

    @POST
    @Path("teams")
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
