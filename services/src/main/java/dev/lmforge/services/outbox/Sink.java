package dev.lmforge.services.outbox;

import dev.lmforge.services.ledger.Outbox.OutboxEvent;

/** Where outbox events of one kind go: OpenLineage's transports or MLflow's REST API. */
public interface Sink {

    /** Delivers one event to its endpoint, or throws saying why and whether trying again could help. */
    void deliver(OutboxEvent event) throws DeliveryException;

    /** A failed delivery; {@code permanent} when the endpoint refused the event itself (a 4xx), so a retry is futile. */
    final class DeliveryException extends Exception {

        private final boolean permanent;

        public DeliveryException(String message, boolean permanent, Throwable cause) {
            super(message, cause);
            this.permanent = permanent;
        }

        public boolean permanent() {
            return permanent;
        }
    }

    /** Whether an HTTP status says the request itself is wrong (retrying it cannot help): 4xx except 408 and 429. */
    static boolean refused(int status) {
        return status >= 400 && status < 500 && status != 408 && status != 429;
    }
}
