package dev.lmforge.web.api;

import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.ledger.MetadataStore;
import dev.lmforge.services.ledger.Records.ArtifactRecord;
import dev.lmforge.services.ledger.Records.LineageEdge;
import dev.lmforge.services.ledger.Records.LineageGraph;
import dev.lmforge.services.ledger.Records.LineageStage;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.services.ledger.UserStore.Role;
import dev.lmforge.services.ledger.UserStore.User;
import dev.lmforge.web.auth.Caller;
import dev.lmforge.web.auth.Permissions;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.InputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Artifacts: metadata, content (streamed and verified) and lineage. A user sees an artifact that a run of their
 * teams consumed or produced (an admin every one), and in a lineage graph only the stages of such runs.
 */
@Path("/api/artifacts/{digest}")
@Produces(MediaType.APPLICATION_JSON)
public class ArtifactResource {

    @Inject
    MetadataStore ledger;
    @Inject
    ArtifactStore store;
    @Inject
    UserStore users;
    @Inject
    Caller caller;

    @GET
    public ArtifactRecord get(@PathParam("digest") String digest) {
        return require(digest);
    }

    /**
     * The artifact's bytes, streamed. The digest is checked as they go out; on a mismatch the response is cut
     * short and the error logged, so a client never receives a complete corrupt copy.
     */
    @GET
    @Path("content")
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    public Response content(@PathParam("digest") String digest) {
        ArtifactRecord artifact = require(digest);
        InputStream in = store.open(digest);
        StreamingOutput body = out -> {
            try (in) {
                in.transferTo(out);
            }
        };
        return Response.ok(body).header("Content-Length", artifact.sizeBytes())
                .header("ETag", "\"" + digest + "\"").build();
    }

    /** {@code direction=up}: what it was made from, back to the raw inputs; {@code down}: what was made from it. */
    @GET
    @Path("lineage")
    public LineageGraph lineage(@PathParam("digest") String digest, @QueryParam("direction") @DefaultValue("up") String direction) {
        if (!direction.equals("up") && !direction.equals("down")) {
            throw ProblemException.badRequest("direction: must be 'up' or 'down', got '" + direction + "'");
        }
        require(digest);
        LineageGraph graph = ledger.lineage(digest, direction.equals("up"));
        User user = caller.user();
        if (user.role() == Role.ADMIN) {
            return graph;
        }
        Map<String, Boolean> visibleRuns = new HashMap<>();
        Set<Long> stages = graph.stages().stream()
                .filter(s -> visibleRuns.computeIfAbsent(s.runId(), id -> ledger.run(id).filter(r -> Permissions.canSee(user, r.team())).isPresent()))
                .map(LineageStage::id).collect(Collectors.toSet());
        List<LineageEdge> edges = graph.edges().stream().filter(e -> stages.contains(e.stageId())).toList();
        Set<String> digests = edges.stream().map(LineageEdge::artifact).collect(Collectors.toSet());
        digests.add(digest);
        return new LineageGraph(graph.artifacts().stream().filter(a -> digests.contains(a.digest())).toList(),
                graph.stages().stream().filter(s -> stages.contains(s.id())).toList(), edges);
    }

    private ArtifactRecord require(String digest) {
        if (!digest.matches("[0-9a-f]{64}")) {
            throw ProblemException.badRequest("digest: not a SHA-256 digest: '" + digest + "' (64 lower-case hex characters)");
        }
        User user = caller.user();
        return ledger.artifact(digest)
                .filter(a -> user.role() == Role.ADMIN || Permissions.canSeeAny(user, users.teamsUsingArtifact(digest)))
                .orElseThrow(() -> ProblemException.notFound("no artifact sha256:" + digest));
    }
}
