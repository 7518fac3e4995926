package dev.lmforge.web.api;

import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.artifacts.ObjectDescription;
import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.Records.ArtifactRecord;
import dev.lmforge.services.ledger.Records.LineageEdge;
import dev.lmforge.services.ledger.Records.LineageGraph;
import dev.lmforge.services.ledger.Records.LineageStage;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.services.ledger.UserStore.Role;
import dev.lmforge.services.ledger.UserStore.User;
import dev.lmforge.web.auth.Caller;
import dev.lmforge.web.auth.Permissions;
import dev.lmforge.web.problem.ProblemException;
import dev.lmforge.web.problem.ProblemMapper;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import jakarta.ws.rs.core.UriInfo;
import java.io.InputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Artifacts: metadata, content (streamed and verified) and lineage. A user sees an artifact that a run of their
 * teams consumed or produced (an admin every one), and in a lineage graph only the stages of such runs.
 */
@Path("/api/artifacts/{digest}")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "artifacts", description = "Content-addressed artifacts: metadata, bytes and lineage")
public class ArtifactResource {

    private static final String DIGEST = "The artifact's SHA-256 digest: 64 lower-case hex characters.";
    private static final String NOT_FOUND = "No artifact with that digest that a run of the caller's teams consumed or produced.";

    @Inject
    Ledger ledger;
    @Inject
    ArtifactStore store;
    @Inject
    UserStore users;
    @Inject
    Caller caller;
    @Context
    UriInfo uri;

    @GET
    @Operation(summary = "Read an artifact's metadata", description = "Its kind, size, creation time and the "
            + "metadata its stage wrote (a JSON text).")
    @APIResponse(responseCode = "200", description = "The artifact's metadata.")
    @APIResponse(responseCode = "400", description = "The digest is not 64 lower-case hex characters.")
    @APIResponse(responseCode = "404", description = NOT_FOUND)
    public ArtifactRecord get(@Parameter(description = DIGEST) @PathParam("digest") String digest) {
        return require(digest);
    }

    /**
     * The artifact's bytes, streamed. Its ETag is its digest: {@code If-None-Match} with it is a 304 (the bytes of
     * a digest never change). A {@code Range} of one byte range is a 206 with {@code Content-Range}, one that lies
     * past the end a 416 problem; several ranges, or a malformed one, are ignored and the whole artifact sent, and
     * so is a range whose {@code If-Range} is not the ETag.
     *
     * <p>What is verified: a whole download is checked against the digest as it goes out; on a mismatch the
     * response is cut short and the error logged, so a client never receives a complete corrupt copy. A ranged
     * read is <em>not</em> verified, since a part cannot be checked against the digest of the whole; a client
     * that assembles an artifact from ranges checks the SHA-256 of the result itself.
     */
    @GET
    @Path("content")
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    @Operation(summary = "Download an artifact", description = "The artifact's bytes, streamed, as an attachment "
            + "named by its kind and digest. A whole download is checked against the digest as it goes out and cut "
            + "short on a mismatch; a ranged read is not checked (check the SHA-256 of the assembled whole). The ETag "
            + "is the digest.")
    @APIResponse(responseCode = "200", description = "The whole artifact.", content = @Content(
            mediaType = MediaType.APPLICATION_OCTET_STREAM, schema = @Schema(type = SchemaType.STRING, format = "binary")),
            headers = {@Header(name = "ETag", description = "The digest, quoted."),
                    @Header(name = "Content-Disposition", description = "attachment; filename=\"KIND-DIGESTPREFIX.EXT\", the extension by the kind")})
    @APIResponse(responseCode = "206", description = "The one byte range asked for, with Content-Range.", content = @Content(
            mediaType = MediaType.APPLICATION_OCTET_STREAM, schema = @Schema(type = SchemaType.STRING, format = "binary")))
    @APIResponse(responseCode = "304", description = "If-None-Match named the digest: the client has these bytes.")
    @APIResponse(responseCode = "400", description = "The digest is not 64 lower-case hex characters.")
    @APIResponse(responseCode = "404", description = NOT_FOUND)
    @APIResponse(responseCode = "410", description = "Garbage collection removed the artifact's bytes (its run was "
            + "dropped by retention, or it was an intermediate); its record (deletedAt) and lineage remain.")
    @APIResponse(responseCode = "416", description = "The range lies past the artifact's end; Content-Range gives its size.")
    public Response content(@Parameter(description = DIGEST) @PathParam("digest") String digest,
                            @Parameter(description = "One byte range (bytes=FIRST-LAST, FIRST- or -SUFFIX); several "
                                    + "ranges, or a malformed one, get the whole artifact.") @HeaderParam("Range") String range,
                            @Parameter(description = "The quoted digest (or *): answered 304 Not Modified.")
                            @HeaderParam("If-None-Match") String ifNoneMatch,
                            @Parameter(description = "The quoted digest: the Range applies only when it matches.")
                            @HeaderParam("If-Range") String ifRange) {
        ArtifactRecord artifact = require(digest);
        if (artifact.deletedAt() != null) {
            throw new ProblemException(410, "Gone", "artifact sha256:" + digest + " was removed by garbage collection at "
                    + artifact.deletedAt() + "; its record and lineage remain");
        }
        String etag = "\"" + digest + "\"";
        if (ifNoneMatch != null && matchesAny(ifNoneMatch, etag)) {
            return Response.notModified().header("ETag", etag).build();
        }
        long size = artifact.sizeBytes();
        Optional<ByteRange> asked = ifRange == null || ifRange.strip().equals(etag)
                ? ByteRange.parse(range, size) : Optional.empty();
        if (asked.isPresent() && !asked.get().satisfiable()) {
            return Response.fromResponse(ProblemMapper.problem(416, "Range Not Satisfiable", "Range: the artifact has "
                            + size + " bytes, and the range asked for lies past its end", List.of(), uri))
                    .header("Content-Range", "bytes */" + size).build();
        }
        if (asked.isPresent()) {
            ByteRange r = asked.get();
            InputStream in = store.openRange(digest, r.first(), r.length());
            return Response.status(206).entity(streaming(in)).header("Content-Length", r.length())
                    .header("Content-Range", "bytes " + r.first() + "-" + r.last() + "/" + size)
                    .header("Accept-Ranges", "bytes").header("ETag", etag)
                    .header("Content-Disposition", contentDisposition(artifact)).build();
        }
        return Response.ok(streaming(store.open(digest))).header("Content-Length", size)
                .header("Accept-Ranges", "bytes").header("ETag", etag)
                .header("Content-Disposition", contentDisposition(artifact)).build();
    }

    /**
     * An attachment named by the artifact's kind, the start of its digest and the extension of what its kind's
     * bytes are ({@code checkpoint-3fa2b1c4d5e6.zip}; none for a kind whose bytes could be anything): a kind is
     * free text written by a stage, so anything but letters, digits, '.', '_' and '-' becomes '_', and it is cut to
     * 64 characters; the extension comes from {@link ObjectDescription}'s own table, never from the record. The name
     * is then plain ASCII that needs no quoting beyond the quotes around it.
     */
    static String contentDisposition(ArtifactRecord artifact) {
        String kind = artifact.kind() == null ? "" : artifact.kind().replaceAll("[^A-Za-z0-9._-]", "_");
        kind = kind.substring(0, Math.min(64, kind.length())).replaceAll("^[.]+", "");
        String name = (kind.isEmpty() ? "artifact" : kind) + "-" + artifact.digest().substring(0, 12)
                + ObjectDescription.typeOf(artifact.kind()).extension();
        return "attachment; filename=\"" + name + "\"";
    }

    private static StreamingOutput streaming(InputStream in) {
        return out -> {
            try (in) {
                in.transferTo(out);
            }
        };
    }

    /** RFC 9110's weak comparison against a list of entity tags, or {@code *} for any. */
    private static boolean matchesAny(String ifNoneMatch, String etag) {
        for (String tag : ifNoneMatch.split(",")) {
            String t = tag.strip();
            if (t.equals("*") || (t.startsWith("W/") ? t.substring(2) : t).equals(etag)) {
                return true;
            }
        }
        return false;
    }

    /** {@code direction=up}: what it was made from, back to the raw inputs; {@code down}: what was made from it. */
    @GET
    @Path("lineage")
    @Operation(summary = "Walk an artifact's lineage", description = "The graph of artifacts and stage executions "
            + "around the artifact: up, what it was made from back to the raw inputs; down, everything made from it. A "
            + "user sees only the stages of their teams' runs (an admin every one).")
    @APIResponse(responseCode = "200", description = "The artifacts, stages and consumed/produced edges.")
    @APIResponse(responseCode = "400", description = "The digest is malformed, or direction is neither up nor down.")
    @APIResponse(responseCode = "404", description = NOT_FOUND)
    public LineageGraph lineage(@Parameter(description = DIGEST) @PathParam("digest") String digest,
                                @Parameter(description = "up (what it was made from) or down (what was made from it).")
                                @QueryParam("direction") @DefaultValue("up") String direction) {
        if (!direction.equals("up") && !direction.equals("down")) {
            throw ProblemException.badRequest("direction: must be 'up' or 'down', got '" + direction + "'");
        }
        require(digest);
        LineageGraph graph = ledger.artifacts().lineage(digest, direction.equals("up"));
        User user = caller.user();
        if (user.role() == Role.ADMIN) {
            return graph;
        }
        Map<String, Boolean> visibleRuns = new HashMap<>();
        Set<Long> stages = graph.stages().stream()
                .filter(s -> visibleRuns.computeIfAbsent(s.runId(), id -> ledger.runs().run(id).filter(r -> Permissions.canSee(user, r.team())).isPresent()))
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
        return ledger.artifacts().artifact(digest)
                .filter(a -> user.role() == Role.ADMIN || Permissions.canSeeAny(user, users.teamsUsingArtifact(digest)))
                .orElseThrow(() -> ProblemException.notFound("no artifact sha256:" + digest));
    }
}
