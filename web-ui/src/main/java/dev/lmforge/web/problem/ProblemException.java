package dev.lmforge.web.problem;

import java.util.List;

/**
 * An error to answer as an RFC 9457 problem body: an HTTP status, a short title, a detail for people and,
 * for a bad spec, the fields at fault.
 */
public class ProblemException extends RuntimeException {

    /** One field at fault and what is wrong with it. */
    public record FieldError(String field, String message) {
    }

    private final int status;
    private final String title;
    private final List<FieldError> errors;
    private final long retryAfterSeconds;

    public ProblemException(int status, String title, String detail, List<FieldError> errors) {
        this(status, title, detail, errors, 0);
    }

    private ProblemException(int status, String title, String detail, List<FieldError> errors, long retryAfterSeconds) {
        super(detail);
        this.status = status;
        this.title = title;
        this.errors = List.copyOf(errors);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public ProblemException(int status, String title, String detail) {
        this(status, title, detail, List.of());
    }

    public static ProblemException notFound(String what) {
        return new ProblemException(404, "Not Found", what);
    }

    public static ProblemException conflict(String detail) {
        return new ProblemException(409, "Conflict", detail);
    }

    /** No (valid) credentials: sign in, or send {@code Authorization: Bearer TOKEN}. */
    public static ProblemException unauthorized(String detail) {
        return new ProblemException(401, "Unauthorized", detail);
    }

    /** Signed in, but not allowed this. */
    public static ProblemException forbidden(String detail) {
        return new ProblemException(403, "Forbidden", detail);
    }

    /** A 400 from a store's refusal, whose message starts with the field at fault ({@code "name: ..."}). */
    public static ProblemException invalid(IllegalArgumentException e) {
        String message = e.getMessage();
        int colon = message.indexOf(": ");
        return colon < 0 ? badRequest(message) : new ProblemException(400, "Bad Request", message,
                List.of(new FieldError(message.substring(0, colon), message.substring(colon + 2))));
    }

    /** Too many attempts: answered with {@code Retry-After: retryAfterSeconds} (RFC 9110). */
    public static ProblemException tooManyRequests(String detail, long retryAfterSeconds) {
        return new ProblemException(429, "Too Many Requests", detail, List.of(), retryAfterSeconds);
    }

    public static ProblemException badRequest(String detail) {
        return new ProblemException(400, "Bad Request", detail);
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }

    public List<FieldError> errors() {
        return errors;
    }

    /** Seconds the client should wait before trying again; 0 when the answer says nothing about it. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
