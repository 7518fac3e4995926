package dev.lmforge.web.http;

import io.quarkus.smallrye.openapi.OpenApiFilter;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;
import org.eclipse.microprofile.openapi.models.responses.APIResponses;
import org.eclipse.microprofile.openapi.models.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.models.security.SecurityScheme;

/**
 * Completes the OpenAPI document ({@code /q/openapi}) with what holds for every operation, so that no resource
 * has to repeat it: the two ways to authenticate (an API token as {@code Authorization: Bearer}, or the console's
 * session cookie), the problem+json body of every error, and the errors that the request filters give whatever
 * the resource: 401 from {@code CredentialFilter} (all but the sign-in), 403 for a session request that changes
 * something without its CSRF token, 400 for a NUL character in a parameter or a body that does not bind, 413 from
 * {@link BodyLimit} and 500 for an unexpected error. The errors a resource itself gives (404, 409, 429, a 403 of
 * a role) are annotated on the resource.
 */
@OpenApiFilter(OpenApiFilter.RunStage.BUILD)
public class ApiDescription implements OASFilter {

    static final String BEARER = "bearer";
    static final String SESSION = "session";
    static final String PROBLEM = "Problem";
    private static final String LOGIN = "/api/session/login";

    @Override
    public void filterOpenAPI(OpenAPI api) {
        api.getComponents()
                .addSecurityScheme(BEARER, OASFactory.createSecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer")
                        .description("An API token (the console's Tokens page, or POST /api/tokens) as "
                                + "'Authorization: Bearer TOKEN'; what the command line and scripts use."))
                .addSecurityScheme(SESSION, OASFactory.createSecurityScheme().type(SecurityScheme.Type.APIKEY)
                        .in(SecurityScheme.In.COOKIE).name("lmforge_session")
                        .description("The console's session cookie from POST /api/session/login. A request other than "
                                + "GET, HEAD or OPTIONS made with it must also send the session's CSRF token (from GET "
                                + "/api/session) as X-CSRF-Token."))
                .addSchema(PROBLEM, problemSchema());
        api.setSecurity(List.of(OASFactory.createSecurityRequirement().addScheme(BEARER),
                OASFactory.createSecurityRequirement().addScheme(SESSION)));
        if (api.getPaths() == null) {
            return;
        }
        api.getPaths().getPathItems().forEach((path, item) -> item.getOperations()
                .forEach((method, operation) -> complete(path, method, operation)));
    }

    private static void complete(String path, PathItem.HttpMethod method, Operation operation) {
        APIResponses responses = operation.getResponses();
        if (path.equals(LOGIN)) {
            operation.setSecurity(List.<SecurityRequirement>of());
        } else if (path.startsWith("/api/") || path.startsWith("/v1/")) {
            add(responses, "401", "No credentials, or an API token that is unknown or revoked, a session that expired "
                    + "or was closed, or a disabled user.");
            if (method != PathItem.HttpMethod.GET && method != PathItem.HttpMethod.HEAD) {
                String csrf = "a session request without the session's X-CSRF-Token.";
                APIResponse forbidden = responses.getAPIResponse("403");
                if (forbidden == null) {
                    add(responses, "403", "A" + csrf.substring(1));
                } else {
                    forbidden.setDescription(forbidden.getDescription() + " Or " + csrf);
                }
            }
        }
        boolean hasParameters = operation.getParameters() != null && !operation.getParameters().isEmpty();
        if (hasParameters || operation.getRequestBody() != null) {
            add(responses, "400", "A parameter or the body is malformed: a NUL character, a value of the wrong type, "
                    + "or JSON that does not bind (the field is named).");
        }
        if (operation.getRequestBody() != null) {
            add(responses, "413", "The body is larger than the server's limit (quarkus.http.limits.max-body-size).");
        }
        add(responses, "500", "An unexpected error; the server log has the details.");
        for (Map.Entry<String, APIResponse> r : responses.getAPIResponses().entrySet()) {
            if (r.getKey().startsWith("4") || r.getKey().startsWith("5")) {
                r.getValue().setContent(OASFactory.createContent().addMediaType("application/problem+json",
                        OASFactory.createMediaType().schema(OASFactory.createSchema().ref(PROBLEM))));
            }
        }
    }

    private static void add(APIResponses responses, String code, String description) {
        if (responses.getAPIResponse(code) == null) {
            responses.addAPIResponse(code, OASFactory.createAPIResponse().description(description));
        }
    }

    /** RFC 9457's members as {@code ProblemMapper} writes them, with the fields at fault of a refused body. */
    private static Schema problemSchema() {
        Schema fieldError = OASFactory.createSchema().type(List.of(Schema.SchemaType.OBJECT))
                .addProperty("field", string("The field at fault, e.g. corpus.sources[0].path."))
                .addProperty("message", string("What is wrong with it."));
        return OASFactory.createSchema().type(List.of(Schema.SchemaType.OBJECT))
                .description("An RFC 9457 problem details body (application/problem+json).")
                .addProperty("type", string("Always about:blank: the status and title say what kind of problem it is."))
                .addProperty("title", string("The status's reason phrase, or a more specific title."))
                .addProperty("status", OASFactory.createSchema().type(List.of(Schema.SchemaType.INTEGER))
                        .description("The HTTP status code."))
                .addProperty("detail", string("What went wrong, for people; names the field or parameter at fault."))
                .addProperty("instance", string("The path of the request."))
                .addProperty("errors", OASFactory.createSchema().type(List.of(Schema.SchemaType.ARRAY)).items(fieldError)
                        .description("Each field at fault, where the request named several (a refused spec)."))
                .required(List.of("type", "title", "status", "detail"));
    }

    private static Schema string(String description) {
        return OASFactory.createSchema().type(List.of(Schema.SchemaType.STRING)).description(description);
    }
}
