package dev.lmforge.web.temporal;

import dev.lmforge.services.config.LmforgeSettings;
import java.util.function.Function;

/**
 * Which Temporal the control plane talks to: {@code real} (the local stack's Temporal server, state on disk),
 * {@code fallback} (the local stack's in-process Java test server, state in memory: a restart loses every workflow)
 * or {@code external} (a Temporal this lmforge did not start, cluster mode). {@code webUi} is the Temporal Web UI
 * of the namespace ({@code http://HOST:PORT/namespaces/NS}), or null where there is none to link to.
 */
public record TemporalMode(String mode, String address, String namespace, String description, String webUi) {

    /** Set by the entry point once the local stack started Temporal (or by a test fixture that started one). */
    public static final String MODE_KEY = "lmforge.temporal.mode";
    public static final String DESCRIPTION_KEY = "lmforge.temporal.description";
    /** The Web UI's base address; in cluster mode LMFORGE_TEMPORAL_WEB_UI names the cluster's. */
    public static final String WEB_UI_KEY = "lmforge.temporal.web-ui";

    /** From the settings and the keys above, looked up through {@code lookup}. */
    public static TemporalMode from(LmforgeSettings settings, Function<String, String> lookup) {
        String mode = blankToNull(lookup.apply(MODE_KEY));
        mode = mode != null ? mode : "external";
        String description = blankToNull(lookup.apply(DESCRIPTION_KEY));
        String ui = blankToNull(lookup.apply(WEB_UI_KEY));
        return new TemporalMode(mode, settings.temporalTarget(), settings.temporalNamespace(),
                description != null ? description : "Temporal at " + settings.temporalTarget(),
                // The fallback keeps no history anyone could browse later: no link.
                ui == null || mode.equals("fallback") ? null
                        : ui.replaceAll("/+$", "") + "/namespaces/" + settings.temporalNamespace());
    }

    /** Whether workflows outlive a restart of this lmforge (all but the fallback). */
    public boolean durable() {
        return !mode.equals("fallback");
    }

    private static String blankToNull(String v) {
        return v == null || v.isBlank() ? null : v.trim();
    }
}
