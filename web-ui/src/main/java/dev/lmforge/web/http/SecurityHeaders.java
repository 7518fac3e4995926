package dev.lmforge.web.http;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.MultiMap;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Security headers on every response of the console and the API, errors included: a Content-Security-Policy
 * that lets the pages load scripts, styles and data only from this origin (the console has no inline script or
 * style, and is never framed), {@code X-Content-Type-Options: nosniff} and {@code X-Frame-Options: DENY}.
 * The console's pages and assets are revalidated on every use ({@code no-cache}) instead of the static handler's
 * {@code immutable}: their names carry no content hash, so a new release would otherwise run stale scripts.
 */
@ApplicationScoped
public class SecurityHeaders {

    /** Same origin only: the pages load their own scripts and styles and talk only to the API. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
            + "img-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
            + "form-action 'self'; frame-ancestors 'none'";

    /**
     * Swagger UI ({@code /q/swagger-ui}), a page Quarkus generates: it starts itself with inline scripts, styles
     * its elements inline and draws its icons as data: images, so only there do scripts and styles run inline. It
     * still talks to this origin alone (connect-src), loads no spec from elsewhere (Quarkus leaves its
     * query-string configuration off), holds no data of its own and is never framed.
     */
    static final String SWAGGER_UI_POLICY = CONTENT_SECURITY_POLICY
            .replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
            .replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
            .replace("img-src 'self'", "img-src 'self' data:");
    static final String SWAGGER_UI = "/q/swagger-ui";

    /** Ahead of every other filter, so that no route answers without the headers. */
    private static final int PRIORITY = 1_000;

    void register(@Observes Filters filters) {
        filters.register(ctx -> {
            boolean page = !ctx.normalizedPath().startsWith("/api/") && !ctx.normalizedPath().startsWith("/q/");
            String policy = ctx.normalizedPath().startsWith(SWAGGER_UI) ? SWAGGER_UI_POLICY : CONTENT_SECURITY_POLICY;
            // Set just before the headers go out, so that they win over whatever a handler set.
            ctx.addHeadersEndHandler(ignored -> {
                MultiMap headers = ctx.response().headers();
                headers.set("Content-Security-Policy", policy);
                headers.set("X-Content-Type-Options", "nosniff");
                headers.set("X-Frame-Options", "DENY");
                if (page) {
                    headers.set("Cache-Control", "no-cache");
                }
            });
            ctx.next();
        }, PRIORITY);
    }
}
