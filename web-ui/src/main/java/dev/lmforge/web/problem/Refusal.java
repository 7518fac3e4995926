package dev.lmforge.web.problem;

/**
 * A 403 that {@link ProblemMapper} answered, fired as a CDI event for the audit log to record
 * ({@code auth.RefusalAudit} observes it), so that this package needs nothing of {@code auth}.
 */
public record Refusal(String method, String path, String reason) {
}
