package dev.lmforge.activities.worker;

import dev.lmforge.activities.AttemptLogs;
import dev.lmforge.services.ledger.AttemptLogStore;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A compute worker's capture of stage attempt logs: every line logged by an attempt's thread, or by a thread it
 * started while it ran, goes to that attempt's {@link AttemptLogBuffer}, which is saved to the ledger every
 * {@link #FLUSH_INTERVAL} while it changes and once more, complete, when the attempt ends.
 * <p>
 * Lines are caught where this process's logging ends up: the stand-alone worker logs through slf4j-simple, which
 * writes to {@code System.err} (so standard error is wrapped, which also catches a stage's own prints and stack
 * traces); inside the control plane slf4j goes to the JBoss log manager, which is {@code java.util.logging}
 * (so a handler on its root logger). Which attempt a line belongs to is an inheritable thread-local: a pool thread
 * that outlives its attempt keeps pointing at that closed attempt, whose buffer ignores it.
 * <p>
 * Attempts of the same stage row and number on this worker (the data workflow's step activities) share one log.
 */
final class AttemptLogCapture implements AttemptLogs {

    /** How often a running attempt's log reaches the ledger. */
    static final Duration FLUSH_INTERVAL = Duration.ofSeconds(3);

    private static final Logger LOG = LoggerFactory.getLogger(AttemptLogCapture.class);
    /** The attempt log of the current thread, inherited by the threads it starts. */
    private static final InheritableThreadLocal<Live> CURRENT = new InheritableThreadLocal<>();
    private static final Object INSTALL = new Object();
    private static boolean installed;

    private final AttemptLogStore store;
    private final Collection<String> secrets;
    private final Map<Key, Live> live = new ConcurrentHashMap<>();
    private final ScheduledExecutorService flusher;

    private record Key(long stageRowId, int attempt) {}

    /** One attempt's buffer while some activity on this worker runs it. */
    private static final class Live {
        final Key key;
        final AttemptLogBuffer buffer;
        int users;
        volatile boolean closed;

        Live(Key key, AttemptLogBuffer buffer) {
            this.key = key;
            this.buffer = buffer;
        }
    }

    /** A capture saving to {@code store}, redacting {@code secrets} (the worker's passwords and keys) too. */
    AttemptLogCapture(AttemptLogStore store, Collection<String> secrets) {
        this.store = store;
        this.secrets = secrets;
        installSinks();
        flusher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lmforge-attempt-logs");
            t.setDaemon(true);
            return t;
        });
        flusher.scheduleWithFixedDelay(this::flushChanged, FLUSH_INTERVAL.toMillis(), FLUSH_INTERVAL.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    @Override
    public Capture capture(long stageRowId, int attempt) {
        Key key = new Key(stageRowId, attempt);
        Live log = live.compute(key, (k, existing) -> {
            Live l = existing != null ? existing : new Live(k, new AttemptLogBuffer(secrets));
            l.users++;
            return l;
        });
        Live previous = CURRENT.get();
        CURRENT.set(log);
        return () -> {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
            boolean last = live.computeIfPresent(key, (k, l) -> --l.users == 0 ? null : l) == null;
            if (last) {
                log.closed = true;
                save(log, log.buffer.snapshot(), true);
            }
        };
    }

    /** Stops the periodic saves; the logs of attempts still running stay as last saved, incomplete. */
    void close() {
        flusher.shutdownNow();
    }

    private void flushChanged() {
        for (Live log : live.values()) {
            AttemptLogBuffer.Snapshot snapshot = log.buffer.changedSnapshot();
            if (snapshot != null && !log.closed) {
                save(log, snapshot, false);
            }
        }
    }

    private void save(Live log, AttemptLogBuffer.Snapshot snapshot, boolean complete) {
        try {
            store.save(log.key.stageRowId(), log.key.attempt(), snapshot.text(), snapshot.droppedBytes(), complete);
        } catch (RuntimeException e) {
            // The attempt's work matters more than its log: the next flush tries again.
            LOG.warn("could not save the log of attempt {} of stage row {}: {}", log.key.attempt(),
                    log.key.stageRowId(), e.getMessage());
        }
    }

    /** Adds a line to the current thread's attempt log, if it has one that is still open. */
    static void line(String text) {
        Live log = CURRENT.get();
        if (log != null && !log.closed) {
            log.buffer.append(text);
        }
    }

    /** Hooks the process's log outputs once, however many workers it starts. */
    private static void installSinks() {
        synchronized (INSTALL) {
            if (installed) {
                return;
            }
            installed = true;
            // Asked before standard error is wrapped: a console handler made now keeps the true stream, so a JUL
            // line is caught once, by the sink, not again by the tee.
            java.util.logging.Logger.getLogger("").addHandler(new JulSink());
            // slf4j-simple looks System.err up at every line; the JBoss log manager's console does not print there.
            if (LoggerFactory.getILoggerFactory().getClass().getName().startsWith("org.slf4j.simple")) {
                System.setErr(new PrintStream(new LineTee(System.err), true, StandardCharsets.UTF_8));
            }
        }
    }

    /** Copies what a thread writes to standard error into its attempt log, line by line. */
    private static final class LineTee extends OutputStream {
        private final PrintStream target;
        private final ThreadLocal<ByteArrayOutputStream> pending = ThreadLocal.withInitial(ByteArrayOutputStream::new);

        LineTee(PrintStream target) {
            this.target = target;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int off, int len) {
            target.write(bytes, off, len);
            if (CURRENT.get() == null) {
                return;
            }
            ByteArrayOutputStream line = pending.get();
            for (int i = off; i < off + len; i++) {
                if (bytes[i] == '\n') {
                    line(line.toString(StandardCharsets.UTF_8).stripTrailing());
                    line.reset();
                } else if (line.size() <= AttemptLogBuffer.MAX_LINE_CHARS * 4) {
                    line.write(bytes[i]);
                }
            }
        }

        @Override
        public void flush() {
            target.flush();
        }
    }

    /** Copies {@code java.util.logging} records of an attempt's threads into its log. */
    private static final class JulSink extends Handler {
        private final SimpleFormatter messages = new SimpleFormatter();

        @Override
        public void publish(LogRecord record) {
            if (CURRENT.get() == null || !isLoggable(record)) {
                return;
            }
            StringBuilder text = new StringBuilder().append(Instant.ofEpochMilli(record.getMillis())).append(' ')
                    .append(record.getLevel()).append(' ').append(record.getLoggerName()).append(" - ")
                    .append(messages.formatMessage(record));
            if (record.getThrown() != null) {
                text.append('\n').append(stack(record.getThrown()));
            }
            text.toString().lines().forEach(AttemptLogCapture::line);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    private static String stack(Throwable thrown) {
        StringWriter out = new StringWriter();
        thrown.printStackTrace(new PrintWriter(out));
        return out.toString();
    }
}
