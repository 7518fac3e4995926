package dev.lmforge.activities.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An attempt log's bounds and redaction, in memory (no ledger involved). */
class AttemptLogBufferTest {

    @Test
    void keepsTheHeadAndTailAndCountsTheBytesDroppedBetween() {
        AttemptLogBuffer buffer = new AttemptLogBuffer(List.of());
        String filler = "x".repeat(99);   // 100 bytes with its line break
        int lines = 5_000;                // 500 KB: more than head and tail together
        for (int i = 0; i < lines; i++) {
            buffer.append(String.format("%06d ", i) + filler.substring(7));
        }
        String text = buffer.text();
        assertTrue(text.startsWith("000000 "), "the head starts with the first line");
        assertTrue(text.endsWith(String.format("%06d ", lines - 1) + filler.substring(7) + "\n"), "the tail ends with the last");
        long kept = (long) lines * 100 - buffer.droppedBytes();
        assertTrue(kept <= AttemptLogBuffer.HEAD_BYTES + AttemptLogBuffer.TAIL_BYTES, "kept " + kept);
        assertTrue(kept > AttemptLogBuffer.HEAD_BYTES + AttemptLogBuffer.TAIL_BYTES - 200, "kept " + kept);
        String marker = "... [" + buffer.droppedBytes() + " bytes of log dropped here] ...\n";
        assertEquals(kept + marker.length(), text.getBytes(StandardCharsets.UTF_8).length);
        // The marker sits where the head ends: the line after it is the first the tail kept.
        int at = text.indexOf(marker);
        assertEquals(AttemptLogBuffer.HEAD_BYTES / 100 * 100, at);
        int firstTail = Integer.parseInt(text.substring(at + marker.length(), at + marker.length() + 6));
        assertEquals(buffer.droppedBytes() / 100 + AttemptLogBuffer.HEAD_BYTES / 100, firstTail);
    }

    @Test
    void aShortLogIsKeptWholeWithoutAMarker() {
        AttemptLogBuffer buffer = new AttemptLogBuffer(List.of());
        buffer.append("one");
        buffer.append("two");
        assertEquals("one\ntwo\n", buffer.text());
        assertEquals(0, buffer.droppedBytes());
    }

    @Test
    void aRunawayLineIsCut() {
        AttemptLogBuffer buffer = new AttemptLogBuffer(List.of());
        buffer.append("y".repeat(AttemptLogBuffer.MAX_LINE_CHARS * 3));
        assertTrue(buffer.text().length() < AttemptLogBuffer.MAX_LINE_CHARS + 100);
        assertTrue(buffer.text().contains("(line cut at "));
    }

    @Test
    void redactsTheWorkersSecretsAndWhatReadsAsOne() {
        AttemptLogBuffer buffer = new AttemptLogBuffer(List.of("s3-secret-value-42"));
        buffer.append("connecting with key s3-secret-value-42 to the store");
        buffer.append("spec: password=hunter2 user=alice");
        buffer.append("{\"token\": \"abc.def\", \"apiKey\":\"k-123\"}");
        buffer.append("Authorization: Bearer eyJhbGciOi.payload.sig");
        buffer.append("using AKIAIOSFODNN7EXAMPLE for s3");
        buffer.append("jdbc:postgresql://lmforge:pa55word@db:5432/postgres");
        buffer.append("step 10 tokens=1000 loss=2.5");
        String text = buffer.text();
        for (String secret : List.of("s3-secret-value-42", "hunter2", "abc.def", "k-123", "eyJhbGciOi",
                "AKIAIOSFODNN7EXAMPLE", "pa55word")) {
            assertFalse(text.contains(secret), secret + " left in:\n" + text);
        }
        assertTrue(text.contains("user=alice"), text);
        assertTrue(text.contains("password=[redacted]"), text);
        assertTrue(text.contains("://lmforge:[redacted]@db:5432"), text);
        assertTrue(text.contains("step 10 tokens=1000 loss=2.5"), "a training counter is no secret: " + text);
    }

    @Test
    void aSnapshotIsOfferedOnlyWhenTheLogChanged() {
        AttemptLogBuffer buffer = new AttemptLogBuffer(List.of());
        buffer.append("a");
        assertEquals("a\n", buffer.changedSnapshot().text());
        assertNull(buffer.changedSnapshot());
        buffer.append("b");
        assertEquals("a\nb\n", buffer.changedSnapshot().text());
    }
}
