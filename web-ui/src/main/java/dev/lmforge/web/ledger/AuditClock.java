package dev.lmforge.web.ledger;

import dev.lmforge.services.ledger.AuditLog;
import dev.lmforge.services.ledger.Ledger;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The control plane's audit timer: every second it audits new retries ({@link RetryAudit}) and anchors the log's
 * head once the anchor interval has passed with events unanchored ({@link AuditLog#anchorIfStale}), so neither
 * waits for the next event to come along.
 */
public final class AuditClock implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(AuditClock.class);

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "audit-clock");
        t.setDaemon(true);
        return t;
    });

    /** Starts the timer over {@code ledger} and {@code audit}. */
    public AuditClock(Ledger ledger, AuditLog audit) {
        timer.scheduleWithFixedDelay(() -> {
            try {
                RetryAudit.auditPending(ledger, audit, null);
                audit.anchorIfStale();
            } catch (RuntimeException e) {
                // PostgreSQL or the store is away for a moment: the next tick tries again.
                LOG.warnf("audit clock: %s", e.toString());
            }
        }, 1, 1, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
