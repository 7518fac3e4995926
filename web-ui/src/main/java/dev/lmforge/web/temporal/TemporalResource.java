package dev.lmforge.web.temporal;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/**
 * {@code GET /api/temporal}: which Temporal runs the workflows, for the console's links to the Temporal Web UI
 * (the header's, and each run page's to its workflow). {@code webUi} is null where there is none (the fallback).
 */
@Path("/api/temporal")
@Produces(MediaType.APPLICATION_JSON)
public class TemporalResource {

    @Inject
    ControlPlane controlPlane;

    /** What the console shows of the Temporal side. */
    public record TemporalView(String mode, String namespace, String webUi) {
    }

    @GET
    public TemporalView get() {
        TemporalMode m = controlPlane.mode();
        return new TemporalView(m.mode(), m.namespace(), m.webUi());
    }
}
