package dev.lmforge.web.ledger;

import dev.lmforge.services.ledger.AuditLog;
import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.LedgerJson;
import dev.lmforge.services.ledger.RunStore.Retry;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Audits each stage attempt beyond the first as {@code stage.retried}, as soon as the control plane sees it: the
 * compute worker that starts a retry records it in the ledger but holds no audit key, so the control plane's
 * {@link AuditClock} looks for new ones every second, and a stage's end audits any still pending before it.
 */
public final class RetryAudit {

    /** One auditor at a time in this process, so the clock and a stage's end never audit one retry twice. */
    private static final Object LOCK = new Object();

    private RetryAudit() {
    }

    /** Audits the retries not yet audited: all of them, or those of stage row {@code stageRowId} if not null. */
    public static void auditPending(Ledger ledger, AuditLog audit, Long stageRowId) {
        synchronized (LOCK) {
            for (Retry retry : ledger.runs().unauditedRetries(stageRowId)) {
                Map<String, Object> details = new LinkedHashMap<>();
                details.put("stage", retry.stage());
                details.put("row", retry.stageId());
                details.put("attempt", retry.attempt());
                details.put("worker", retry.worker());
                details.put("startedAt", String.valueOf(retry.startedAt()));
                if (retry.previousStatus() != null) {
                    details.put("previous", retry.previousStatus());
                    if (retry.previousError() != null) {
                        details.put("previousError", LedgerActivitiesImpl.firstLine(retry.previousError()));
                    }
                }
                // Audited, then marked: a crash in between audits the retry twice rather than not at all.
                audit.append(LedgerActivitiesImpl.ACTOR, "stage.retried", retry.runId(), LedgerJson.toJson(details));
                ledger.runs().retryAudited(retry.stageId(), retry.attempt());
            }
        }
    }
}
