package dev.lmforge.web.api;

import dev.lmforge.services.ledger.AuditLog;
import dev.lmforge.services.ledger.LedgerJson;
import dev.lmforge.services.ledger.Outbox;
import dev.lmforge.services.ledger.Outbox.TeamIntegration;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.services.ledger.UserStore.Role;
import dev.lmforge.services.outbox.IntegrationSettings;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * A team's OpenLineage and MLflow endpoints, which override the process-wide ones ({@code LMFORGE_OPENLINEAGE_URL},
 * {@code LMFORGE_MLFLOW_TRACKING_URI}) for its runs; admins only, to read and to set, since an endpoint receives the
 * team's lineage and metrics. The team's OpenLineage API key and MLflow bearer token are write-only: set with a
 * value, cleared with an empty string, kept when absent, and shown only as {@value IntegrationSettings#SECRET_MASK}
 * when set; they are never logged nor audited (the audit says "set" or "cleared"), and they are stored in plain
 * text in PostgreSQL (table {@code team_integrations}).
 */
@Path("/api/teams/{team}/integrations")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "integrations", description = "OpenLineage and MLflow: per-team endpoints and what was delivered")
public class TeamIntegrationsResource {

    private static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9._:/-]{1,200}");

    @Inject
    UserStore users;
    @Inject
    Outbox outbox;
    @Inject
    IntegrationSettings settings;
    @Inject
    AuditLog audit;
    @Inject
    Caller caller;

    /**
     * A team's own settings (null: the process-wide one applies) and what its runs use in effect.
     *
     * @param disabled          true turns both sinks off for the team's runs
     * @param openLineageApiKey {@value IntegrationSettings#SECRET_MASK} when the team set a key, else null
     * @param mlflowToken       {@value IntegrationSettings#SECRET_MASK} when the team set a token, else null
     */
    public record TeamIntegrations(String team, String openLineageUrl, String openLineageNamespace,
                                   String mlflowTrackingUri, String mlflowExperimentBy, boolean disabled,
                                   String openLineageApiKey, String mlflowToken, Effective effective) {
    }

    /**
     * What the team's runs use: null where a sink is off; a secret in effect (the team's, or the process-wide one
     * for the process-wide endpoint) shows as {@value IntegrationSettings#SECRET_MASK}.
     */
    public record Effective(String openLineageUrl, String openLineageNamespace, String mlflowTrackingUri,
                            String mlflowExperimentBy, String openLineageApiKey, String mlflowToken) {
    }

    /**
     * The settings to store; a null or blank endpoint value means the process-wide one. A secret absent (null)
     * (or the mask {@value IntegrationSettings#SECRET_MASK} sent back) keeps the stored one, an empty string clears
     * it, any other value replaces it.
     */
    public record NewIntegrations(String openLineageUrl, String openLineageNamespace, String mlflowTrackingUri,
                                  String mlflowExperimentBy, Boolean disabled, String openLineageApiKey,
                                  String mlflowToken) {
    }

    @GET
    @Operation(summary = "Read a team's integrations", description = "The team's own OpenLineage and MLflow settings "
            + "(null where the process-wide one applies) and what its runs use in effect. Admins only.")
    @APIResponse(responseCode = "200", description = "The team's settings and the effective ones.")
    @APIResponse(responseCode = "403", description = "The caller is not an admin.")
    @APIResponse(responseCode = "404", description = "No such team.")
    public TeamIntegrations get(@Parameter(description = "The team's name.") @PathParam("team") String team) {
        Permissions.requireRole(caller.user(), Role.ADMIN, "read a team's integrations");
        Permissions.requireTeam(team, users.teams());
        return view(team);
    }

    @PUT
    @Operation(summary = "Set a team's integrations", description = "Stores the team's OpenLineage URL and namespace, "
            + "MLflow tracking URI and experiment grouping (team or spec), or turns both sinks off for its runs; a "
            + "blank value falls back to the process-wide setting. The OpenLineage API key and the MLflow bearer token "
            + "are write-only: absent keeps the stored one, an empty string clears it, a value replaces it; they are "
            + "never returned (shown as ********) and are stored in plain text in the ledger's database. Audited "
            + "(without the secrets). Admins only.")
    @APIResponse(responseCode = "200", description = "The settings as stored, and the effective ones.")
    @APIResponse(responseCode = "400", description = "A field is malformed (named in the problem), e.g. a URL "
            + "that is not http(s) or carries credentials.")
    @APIResponse(responseCode = "403", description = "The caller is not an admin.")
    @APIResponse(responseCode = "404", description = "No such team.")
    public TeamIntegrations set(@Parameter(description = "The team's name.") @PathParam("team") String team,
                                NewIntegrations body) {
        var admin = caller.user();
        Permissions.requireRole(admin, Role.ADMIN, "set a team's integrations");
        Permissions.requireTeam(team, users.teams());
        NewIntegrations b = body == null ? new NewIntegrations(null, null, null, null, null, null, null) : body;
        List<ProblemException.FieldError> errors = new ArrayList<>();
        String olUrl = blankToNull(b.openLineageUrl());
        String mlflowUri = blankToNull(b.mlflowTrackingUri());
        String namespace = blankToNull(b.openLineageNamespace());
        String experimentBy = blankToNull(b.mlflowExperimentBy());
        check(errors, "openLineageUrl", olUrl, true);
        check(errors, "mlflowTrackingUri", mlflowUri, false);
        if (namespace != null && !NAMESPACE.matcher(namespace).matches()) {
            errors.add(new ProblemException.FieldError("openLineageNamespace",
                    "1 to 200 of letters, digits and . _ : / -"));
        }
        if (experimentBy != null && !experimentBy.equals("team") && !experimentBy.equals("spec")) {
            errors.add(new ProblemException.FieldError("mlflowExperimentBy", "'team' or 'spec'"));
        }
        checkSecret(errors, "openLineageApiKey", b.openLineageApiKey());
        checkSecret(errors, "mlflowToken", b.mlflowToken());
        if (!errors.isEmpty()) {
            throw new ProblemException(400, "Invalid Integrations", errors.get(0).field() + ": "
                    + errors.get(0).message(), errors);
        }
        boolean disabled = Boolean.TRUE.equals(b.disabled());
        TeamIntegration stored = outbox.team(team).orElse(null);
        String apiKey = secret(b.openLineageApiKey(), stored == null ? null : stored.openLineageApiKey());
        String token = secret(b.mlflowToken(), stored == null ? null : stored.mlflowToken());
        outbox.setTeam(new TeamIntegration(team, olUrl, namespace, mlflowUri, experimentBy, disabled, apiKey, token));
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("openLineageUrl", olUrl);
        details.put("openLineageNamespace", namespace);
        details.put("mlflowTrackingUri", mlflowUri);
        details.put("mlflowExperimentBy", experimentBy);
        details.put("disabled", disabled);
        details.put("openLineageApiKey", change(b.openLineageApiKey()));
        details.put("mlflowToken", change(b.mlflowToken()));
        audit.append(admin.name(), "team.integrations.set", "team:" + team, LedgerJson.toJson(details));
        return view(team);
    }

    private static void check(List<ProblemException.FieldError> errors, String field, String url, boolean openLineage) {
        if (url == null) {
            return;
        }
        try {
            IntegrationSettings.requireEndpoint(field, url, openLineage);
        } catch (IllegalArgumentException e) {
            // The message names the field and the rule, never the value (it may be long or carry a secret).
            errors.add(new ProblemException.FieldError(field, e.getMessage().substring(field.length()).strip()));
        }
    }

    private static void checkSecret(List<ProblemException.FieldError> errors, String field, String secret) {
        try {
            IntegrationSettings.requireSecret(field, secret == null || secret.isEmpty() ? null : secret);
        } catch (IllegalArgumentException e) {
            errors.add(new ProblemException.FieldError(field, e.getMessage().substring(field.length()).strip()));
        }
    }

    /** The secret to store: the stored one when absent (or the mask sent back), none when empty, else the new one. */
    private static String secret(String given, String stored) {
        return given == null || given.equals(IntegrationSettings.SECRET_MASK) ? stored : given.isEmpty() ? null : given;
    }

    /** What the audit says of a secret's change, never its value. */
    private static String change(String given) {
        return given == null || given.equals(IntegrationSettings.SECRET_MASK) ? "unchanged" : given.isEmpty() ? "cleared" : "set";
    }

    private static String mask(String secret) {
        return secret == null ? null : IntegrationSettings.SECRET_MASK;
    }


    private TeamIntegrations view(String team) {
        TeamIntegration own = outbox.team(team).orElse(new TeamIntegration(team, null, null, null, null, false));
        IntegrationSettings in = settings.forTeam(own);
        return new TeamIntegrations(team, own.openLineageUrl(), own.openLineageNamespace(), own.mlflowTrackingUri(),
                own.mlflowExperimentBy(), own.disabled(), mask(own.openLineageApiKey()), mask(own.mlflowToken()),
                new Effective(in.openLineageUrl(), in.openLineageUrl() == null ? null : in.openLineageNamespace(),
                        in.mlflowTrackingUri(), in.mlflowTrackingUri() == null ? null : in.mlflowExperimentBy(),
                        mask(in.openLineageApiKey()), mask(in.mlflowToken())));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
