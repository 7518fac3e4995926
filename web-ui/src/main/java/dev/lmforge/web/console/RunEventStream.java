package dev.lmforge.web.console;

import dev.lmforge.services.ledger.RunStore;
import dev.lmforge.services.ledger.UserStore.User;
import dev.lmforge.web.problem.ProblemException;
import dev.lmforge.web.runs.RunService;
import dev.lmforge.web.runs.RunView;
import io.smallrye.mutiny.Multi;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Live views of runs for server-sent events. Each open stream reads its run from the ledger every
 * {@link #POLL} and emits the view only when it changed; it ends once the run has ended. Bounded: at most
 * {@code lmforge.streams.per-user} streams of one user at once (more are refused with 429, so that one user cannot
 * take every stream), at most {@link #MAX_STREAMS} in all (more are refused with 503), each open at most
 * {@link #MAX_LIFETIME} (a browser's {@code EventSource} then reconnects by itself), all polled by two threads. A
 * stream that ends, or whose client goes away, frees its places at once.
 */
@ApplicationScoped
public class RunEventStream {

    static final Duration POLL = Duration.ofMillis(500);
    static final Duration MAX_LIFETIME = Duration.ofMinutes(30);
    static final int MAX_STREAMS = 64;

    /** The Retry-After of a user at their cap: a stream frees its place as soon as its page is left. */
    static final long RETRY_AFTER_SECONDS = 5;

    @Inject
    RunService runs;
    @ConfigProperty(name = "lmforge.streams.per-user")
    int perUser;

    private final Semaphore open = new Semaphore(MAX_STREAMS);
    /** Streams open now, by user name; a user without any has no entry. */
    private final ConcurrentHashMap<String, Integer> openByUser = new ConcurrentHashMap<>();
    private final ScheduledExecutorService poller = Executors.newScheduledThreadPool(2, task -> {
        Thread t = new Thread(task, "run-event-poller");
        t.setDaemon(true);
        return t;
    });

    /** The stream of {@code runId}'s views as {@code user} sees it; an unknown run is a 404 before anything streams. */
    public Multi<RunView> open(String runId, User user) {
        runs.require(runId, user);
        if (!takeUserSlot(user.name())) {
            throw ProblemException.tooManyRequests("user '" + user.name() + "' has " + perUser + " run streams open, the most "
                    + "one user may (lmforge.streams.per-user = " + perUser + "); close one first", RETRY_AFTER_SECONDS);
        }
        if (!open.tryAcquire()) {
            releaseUserSlot(user.name());
            throw new ProblemException(503, "Service Unavailable",
                    MAX_STREAMS + " run streams are open, the most this server keeps; try again shortly");
        }
        return Multi.createFrom().emitter(emitter -> {
            AtomicReference<RunView> last = new AtomicReference<>();
            AtomicReference<ScheduledFuture<?>> polling = new AtomicReference<>();
            AtomicBoolean ended = new AtomicBoolean();
            // The stream may end (client gone, run over) before or after polling is scheduled: stop it either way.
            emitter.onTermination(() -> {
                ended.set(true);
                ScheduledFuture<?> p = polling.get();
                if (p != null) {
                    p.cancel(false);
                }
                open.release();
                releaseUserSlot(user.name());
            });
            long deadline = System.nanoTime() + MAX_LIFETIME.toNanos();
            polling.set(poller.scheduleWithFixedDelay(() -> {
                try {
                    RunView view = runs.view(runId, user);
                    if (!Objects.equals(view, last.getAndSet(view))) {
                        emitter.emit(view);
                    }
                    if (RunStore.TERMINAL.contains(view.status()) || System.nanoTime() > deadline) {
                        emitter.complete();
                    }
                } catch (RuntimeException e) {
                    emitter.fail(e);
                }
            }, 0, POLL.toMillis(), TimeUnit.MILLISECONDS));
            if (ended.get()) {
                polling.get().cancel(false);
            }
        });
    }

    /** Takes one of the user's places if they have one left; atomic, so parallel requests cannot overshoot. */
    private boolean takeUserSlot(String name) {
        boolean[] taken = {false};
        openByUser.compute(name, (k, n) -> {
            int now = n == null ? 0 : n;
            taken[0] = now < perUser;
            return taken[0] ? now + 1 : n;
        });
        return taken[0];
    }

    private void releaseUserSlot(String name) {
        openByUser.computeIfPresent(name, (k, n) -> n > 1 ? n - 1 : null);
    }

    @PreDestroy
    void stop() {
        poller.shutdownNow();
    }
}
