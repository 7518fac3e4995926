package dev.lmforge.services.outbox;

import dev.lmforge.services.ledger.Outbox;
import dev.lmforge.services.ledger.Outbox.OutboxEvent;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the outbox's events in the background, on one thread of its own, so no stage ever waits for an
 * endpoint. Per run and sink it delivers the oldest pending event, then the next, in order; a failed attempt is
 * tried again after a backoff that doubles up to a cap, so a receiver that is down for hours loses nothing. An
 * endpoint's refusal (a 4xx) or too many attempts marks the event failed, with the error and the endpoint named on
 * the run page and in the log, and that run's later events go on. Before each round it queues the progress events
 * of the stages running now ({@link OutboxEvents#queueProgress}).
 */
public final class OutboxDeliverer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OutboxDeliverer.class);
    private static final int BATCH = 100;

    private final Outbox outbox;
    private final Map<String, Sink> sinks;
    private final IntegrationSettings settings;
    private final OutboxEvents events;
    private ScheduledExecutorService thread;

    /** {@code events} queues the running stages' progress events before each round of the background thread. */
    public OutboxDeliverer(Outbox outbox, Map<String, Sink> sinks, IntegrationSettings settings, OutboxEvents events) {
        this.outbox = outbox;
        this.sinks = Map.copyOf(sinks);
        this.settings = settings;
        this.events = events;
    }

    /** Starts polling every {@code pollInterval}. */
    public synchronized void start() {
        if (thread == null) {
            thread = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "lmforge-outbox");
                t.setDaemon(true);
                return t;
            });
            long poll = settings.pollInterval().toMillis();
            thread.scheduleWithFixedDelay(this::deliverDueQuietly, poll, poll, TimeUnit.MILLISECONDS);
        }
    }

    private void deliverDueQuietly() {
        try {
            events.queueProgress();
            deliverDue();
        } catch (RuntimeException e) {
            LOG.warn("outbox: delivery round failed; trying again in {} ms", settings.pollInterval().toMillis(), e);
        }
    }

    /** One round: every run's due events, each run's in order until one fails. Returns how many were delivered. */
    public int deliverDue() {
        int delivered = 0;
        List<OutboxEvent> heads = outbox.due(BATCH);
        for (OutboxEvent head : heads) {
            Optional<OutboxEvent> next = Optional.of(head);
            while (next.isPresent() && attempt(next.get())) {
                delivered++;
                next = outbox.nextPending(next.get());
            }
        }
        return delivered;
    }

    private boolean attempt(OutboxEvent event) {
        Sink sink = sinks.get(event.sink());
        try {
            if (sink == null) {
                throw new Sink.DeliveryException("no " + event.sink() + " sink in this process", true, null);
            }
            sink.deliver(event);
            outbox.delivered(event.id());
            if (event.attempts() > 0) {
                LOG.info("outbox: {} event {} ({}) of run {} delivered to {} after {} failed attempts", event.sink(),
                        event.id(), event.kind(), event.runId(), event.endpoint(), event.attempts());
            }
            return true;
        } catch (Sink.DeliveryException e) {
            int attempts = event.attempts() + 1;
            boolean last = e.permanent() || attempts >= settings.maxAttempts();
            Long retry = last ? null : backoff(attempts).toMillis();
            outbox.attemptFailed(event.id(), e.getMessage(), retry);
            if (last) {
                LOG.warn("outbox: {} event {} ({}) of run {} failed for good at {} after {} attempts: {}", event.sink(),
                        event.id(), event.kind(), event.runId(), event.endpoint(), attempts, e.getMessage());
            } else if (attempts == 1) {
                LOG.warn("outbox: {} event {} ({}) of run {} not delivered to {}, retrying with backoff: {}",
                        event.sink(), event.id(), event.kind(), event.runId(), event.endpoint(), e.getMessage());
            }
            return false;
        } catch (RuntimeException e) {
            // A bug or a surprise from a client library: retried like an outage, never lost silently.
            outbox.attemptFailed(event.id(), OpenLineageSink.describe(e), backoff(event.attempts() + 1).toMillis());
            LOG.warn("outbox: {} event {} of run {} hit an unexpected error at {}", event.sink(), event.id(),
                    event.runId(), event.endpoint(), e);
            return false;
        }
    }

    /** The wait after the {@code attempts}-th failed attempt: the first backoff doubled each time, capped. */
    Duration backoff(int attempts) {
        long first = settings.firstBackoff().toMillis();
        long cap = settings.maxBackoff().toMillis();
        int doublings = Math.min(attempts - 1, 30);
        return Duration.ofMillis(Math.min(cap, first << doublings));
    }

    @Override
    public synchronized void close() {
        if (thread != null) {
            thread.shutdownNow();
            thread = null;
        }
        sinks.values().forEach(s -> {
            if (s instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    LOG.debug("outbox: closing a sink", e);
                }
            }
        });
    }
}
