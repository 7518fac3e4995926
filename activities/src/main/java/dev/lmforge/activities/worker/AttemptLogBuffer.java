package dev.lmforge.activities.worker;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The log of one stage attempt, bounded: the first {@link #HEAD_BYTES} of its lines and the last
 * {@link #TAIL_BYTES}, with how many bytes between them were dropped, so a long training run's log costs at most
 * 256 KiB in the ledger yet shows how it began and how it ended. Lines are redacted as they arrive: the worker's
 * own secrets (database password, S3 keys) wherever they appear, and anything that reads as a password, token or
 * key assignment, a bearer token, an AWS access key id or a password in a URL.
 */
final class AttemptLogBuffer {

    static final int HEAD_BYTES = 64 * 1024;
    static final int TAIL_BYTES = 192 * 1024;
    /** A single line longer than this is cut, so one runaway line cannot push the whole tail out. */
    static final int MAX_LINE_CHARS = 16 * 1024;
    static final String REDACTED = "[redacted]";

    private static final Pattern ASSIGNED_SECRET = Pattern.compile(
            "(?i)((?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key(?:[_-]?id)?|secret[_-]?key"
                    + "|credentials?)[\"']?\\s*[=:]\\s*[\"']?)([^\\s\"',;&]+)");
    private static final Pattern BEARER = Pattern.compile("(?i)(bearer\\s+)[A-Za-z0-9._~+/=-]+");
    private static final Pattern AWS_KEY_ID = Pattern.compile("\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b");
    private static final Pattern URL_PASSWORD = Pattern.compile("(://[^/\\s:@]+:)[^/\\s@]+@");

    private final List<String> secrets;
    private final StringBuilder head = new StringBuilder();
    private int headBytes;
    private boolean headFull;
    private final ArrayDeque<String> tail = new ArrayDeque<>();
    private int tailBytes;
    private long droppedBytes;
    /** Bumped by every line, so a flush can skip a log that has not changed since the last save. */
    private long version;
    private long savedVersion = -1;

    /** A buffer that also redacts each of {@code secrets} (blank ones are ignored) wherever it appears. */
    AttemptLogBuffer(Collection<String> secrets) {
        this.secrets = secrets.stream().filter(s -> s != null && s.length() >= 4).distinct().toList();
    }

    /** Adds one line (without its line break). */
    synchronized void append(String line) {
        String kept = redact(line.length() > MAX_LINE_CHARS
                ? line.substring(0, MAX_LINE_CHARS) + " ... (line cut at " + MAX_LINE_CHARS + " characters)" : line)
                .replace('\0', ' ') + "\n";   // PostgreSQL text holds no NUL
        int bytes = kept.getBytes(StandardCharsets.UTF_8).length;
        version++;
        if (!headFull) {
            if (headBytes + bytes <= HEAD_BYTES) {
                head.append(kept);
                headBytes += bytes;
                return;
            }
            headFull = true;   // lines stay whole and in order: nothing joins the head after the first that missed
        }
        tail.addLast(kept);
        tailBytes += bytes;
        while (tailBytes > TAIL_BYTES) {
            int out = tail.removeFirst().getBytes(StandardCharsets.UTF_8).length;
            tailBytes -= out;
            droppedBytes += out;
        }
    }

    /** The log as it reads now, with a line marking the bytes dropped between head and tail. */
    synchronized String text() {
        StringBuilder text = new StringBuilder(headBytes + tailBytes + 80).append(head);
        if (droppedBytes > 0) {
            text.append("... [").append(droppedBytes).append(" bytes of log dropped here] ...\n");
        }
        tail.forEach(text::append);
        return text.toString();
    }

    synchronized long droppedBytes() {
        return droppedBytes;
    }

    /** The log's state to save, or null when nothing changed since the last state taken. */
    synchronized Snapshot changedSnapshot() {
        if (version == savedVersion) {
            return null;
        }
        savedVersion = version;
        return new Snapshot(text(), droppedBytes);
    }

    /** The log's state to save, changed or not. */
    synchronized Snapshot snapshot() {
        savedVersion = version;
        return new Snapshot(text(), droppedBytes);
    }

    /** What is saved of the log at one moment. */
    record Snapshot(String text, long droppedBytes) {}

    String redact(String line) {
        String out = line;
        for (String secret : secrets) {
            out = out.replace(secret, REDACTED);
        }
        out = ASSIGNED_SECRET.matcher(out).replaceAll(m -> Matcher.quoteReplacement(m.group(1)) + REDACTED);
        out = BEARER.matcher(out).replaceAll(m -> Matcher.quoteReplacement(m.group(1)) + REDACTED);
        out = AWS_KEY_ID.matcher(out).replaceAll(REDACTED);
        return URL_PASSWORD.matcher(out).replaceAll(m -> Matcher.quoteReplacement(m.group(1)) + REDACTED + "@");
    }
}
