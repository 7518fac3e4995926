package dev.lmforge.web.api;

import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.ledger.MetadataStore;
import dev.lmforge.services.ledger.Records.ArtifactRecord;
import dev.lmforge.services.ledger.Records.LineageGraph;
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

/** Artifacts: metadata, content (streamed and verified) and lineage. */
@Path("/api/artifacts/{digest}")
@Produces(MediaType.APPLICATION_JSON)
public class ArtifactResource {

    @Inject
    MetadataStore ledger;
    @Inject
    ArtifactStore store;

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
        return ledger.lineage(digest, direction.equals("up"));
    }

    private ArtifactRecord require(String digest) {
        if (!digest.matches("[0-9a-f]{64}")) {
            throw ProblemException.badRequest("digest: not a SHA-256 digest: '" + digest + "' (64 lower-case hex characters)");
        }
        return ledger.artifact(digest).orElseThrow(() -> ProblemException.notFound("no artifact sha256:" + digest));
    }
}
