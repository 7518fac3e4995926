package dev.lmforge.web.temporal;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code GET /api/temporal}: which Temporal runs the workflows, for the console's links to the Temporal Web UI
 * (the header's, and each run page's to its workflow). {@code webUi} is null where there is none (the fallback).
 */
@Path("/api/temporal")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "console", description = "What the console shows besides runs")
public class TemporalResource {

    @Inject
    ControlPlane controlPlane;

    /** What the console shows of the Temporal side. */
    public record TemporalView(String mode, String namespace, String webUi) {
    }

    @GET
    @Operation(summary = "Describe the Temporal side", description = "Which Temporal runs the workflows (the dev "
            + "server, an external cluster, or the in-process fallback), its namespace and its Web UI's address, for "
            + "the console's links to each run's workflow; webUi is null where there is none.")
    @APIResponse(responseCode = "200", description = "The Temporal mode, namespace and Web UI address.")
    public TemporalView get() {
        TemporalMode m = controlPlane.mode();
        return new TemporalView(m.mode(), m.namespace(), m.webUi());
    }
}
