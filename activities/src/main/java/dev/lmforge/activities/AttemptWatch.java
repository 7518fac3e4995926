package dev.lmforge.activities;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops the thread of a stage attempt that Temporal has given up on, so it does not keep working (or sleeping in a
 * throttled read) beside its retry. Temporal times an attempt out when no heartbeat reached it within the stage's
 * heartbeat timeout, and then schedules the retry; nothing tells the old thread, which learns of it only at its
 * next heartbeat, if it ever makes one. Two things end it here:
 * <ul>
 *   <li>no heartbeat for longer than the server could wait (the heartbeat timeout, plus the SDK's throttle of at
 *       most {@link #MAX_THROTTLE} that may hold the last heartbeat back, plus a second): the thread is
 *       interrupted, wherever its retry runs;</li>
 *   <li>a newer attempt of the same stage starts on this worker: Temporal only starts one once the older has timed
 *       out, so the older is interrupted at once and the newer waits (see {@link #SUPERSEDE_WAIT}) for its thread
 *       to end before it starts work.</li>
 * </ul>
 * An interrupt ends sleeps, waits and reads of files and channels at once; code that is not interruptible (a
 * native training step, a socket read) ends at its next heartbeat, which then fails.
 */
public final class AttemptWatch implements AutoCloseable {

    /**
     * The longest the SDK may hold back a heartbeat before sending it; a compute worker sets it as its
     * {@code maxHeartbeatThrottleInterval} (the SDK's default of 60 seconds would also delay cancels that long).
     */
    public static final Duration MAX_THROTTLE = Duration.ofSeconds(2);
    /** How long a retry waits for the thread of the attempt it replaces to end, at most half its heartbeat timeout. */
    static final Duration SUPERSEDE_WAIT = Duration.ofSeconds(30);
    private static final long GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private static final Logger LOG = LoggerFactory.getLogger(AttemptWatch.class);
    private static final ScheduledExecutorService CLOCK = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "attempt-watch");
        t.setDaemon(true);
        return t;
    });
    /** The attempt running on this worker for each stage row and activity. */
    private static final Map<String, AttemptWatch> RUNNING = new ConcurrentHashMap<>();

    private final String activity;
    private final int attempt;
    private final Thread thread;
    private final long limitNanos;
    private final ScheduledFuture<?> check;
    private volatile long lastBeatNanos = System.nanoTime();
    /** Why the attempt was stopped; null while it may run. Guarded by this for the interrupt. */
    private volatile String abandoned;
    private boolean closed;
    private final CountDownLatch ended = new CountDownLatch(1);

    private AttemptWatch(String activity, int attempt, Duration heartbeatTimeout) {
        this.activity = activity;
        this.attempt = attempt;
        this.thread = Thread.currentThread();
        long timeout = heartbeatTimeout.toNanos();
        long throttle = Math.min(timeout * 4 / 5, MAX_THROTTLE.toNanos());
        this.limitNanos = timeout + throttle + GRACE_NANOS;
        this.check = timeout > 0 ? CLOCK.scheduleWithFixedDelay(this::checkDeadline, 250, 250, TimeUnit.MILLISECONDS)
                : null;
    }

    /**
     * Watches attempt {@code attempt} of {@code activity} (a stage row and activity type, e.g. {@code 12/DataIngest})
     * on the calling thread (a zero heartbeat timeout: no deadline), first stopping another attempt of the same
     * activity still running on this worker.
     */
    static AttemptWatch start(String activity, int attempt, Duration heartbeatTimeout) throws InterruptedException {
        AttemptWatch watch = new AttemptWatch(activity, attempt, heartbeatTimeout);
        AttemptWatch older = RUNNING.put(activity, watch);
        if (older != null && older.attempt != attempt) {
            older.abandon("attempt " + attempt + " of this stage started on this worker: Temporal had given this "
                    + "attempt up");
            // The new attempt's own heartbeat timeout runs meanwhile: it waits for at most half of it.
            long waitNanos = heartbeatTimeout.isZero() ? SUPERSEDE_WAIT.toNanos()
                    : Math.min(SUPERSEDE_WAIT.toNanos(), heartbeatTimeout.toNanos() / 2);
            if (!older.ended.await(waitNanos, TimeUnit.NANOSECONDS)) {
                LOG.warn("attempt {} of {} did not stop within {} ms; attempt {} starts beside it",
                        older.attempt, activity, TimeUnit.NANOSECONDS.toMillis(waitNanos), attempt);
            }
        }
        return watch;
    }

    /** A heartbeat was made; throws if the attempt was given up, so the stage stops there. */
    void beat() {
        String reason = abandoned;
        if (reason != null) {
            throw new AttemptAbandonedException(reason);
        }
        lastBeatNanos = System.nanoTime();
    }

    /** Why the attempt was stopped, or null if it was not. */
    String abandoned() {
        return abandoned;
    }

    private void checkDeadline() {
        long silent = System.nanoTime() - lastBeatNanos;
        if (silent > limitNanos) {
            abandon("no heartbeat for " + TimeUnit.NANOSECONDS.toSeconds(silent) + " s, past the stage's heartbeat "
                    + "timeout: Temporal has given this attempt up and retries it");
        }
    }

    private synchronized void abandon(String reason) {
        if (closed || abandoned != null) {
            return;
        }
        abandoned = reason;
        LOG.warn("stopping attempt {} of {}: {}", attempt, activity, reason);
        thread.interrupt();
    }

    /**
     * Ends the watch when the attempt's body has returned or thrown: no interrupt reaches the thread after this,
     * and one meant for the attempt is cleared, so the next activity on this thread starts clean.
     */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        if (check != null) {
            check.cancel(false);
        }
        RUNNING.remove(activity, this);
        if (abandoned != null) {
            Thread.interrupted();
        }
        ended.countDown();
    }

    /** Thrown by a heartbeat of an attempt that was given up. */
    static final class AttemptAbandonedException extends RuntimeException {
        AttemptAbandonedException(String reason) {
            super(reason);
        }
    }
}
