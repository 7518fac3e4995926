package dev.lmforge.activities.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lmforge.activities.AttemptLogs;
import dev.lmforge.services.RealStack;
import dev.lmforge.services.ledger.AttemptLogStore;
import dev.lmforge.services.ledger.AttemptLogStore.AttemptLog;
import dev.lmforge.services.ledger.Records.NewRun;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Attempt logs captured from a thread's slf4j and java.util.logging lines into the ledger on a real PostgreSQL. */
class AttemptLogCaptureTest {

    private static final Logger LOG = LoggerFactory.getLogger(AttemptLogCaptureTest.class);

    @TempDir
    static Path dir;
    static RealStack stack;
    static AttemptLogStore store;
    static AttemptLogCapture capture;

    @BeforeAll
    static void start() {
        stack = RealStack.start(dir);
        store = new AttemptLogStore(stack.ledger().jdbc());
        capture = new AttemptLogCapture(store, List.of("the-s3-secret"));
    }

    @AfterAll
    static void stop() {
        capture.close();
        stack.close();
    }

    private static long stage(String runId) {
        stack.ledger().runs().createRun(new NewRun(runId, "test", null, "alice", "{}", "name: test", List.of(), null));
        return stack.ledger().runs().beginStage(runId, "pretrain", 1, "key-" + runId, "{}", Map.of(), null);
    }

    @Test
    void keepsTheLinesOfTheAttemptsThreadAndItsChildrenButNotOthers() throws Exception {
        long row = stage("run-capture");
        CountDownLatch go = new CountDownLatch(1);
        Thread bystander = new Thread(() -> {
            try {
                go.await();
            } catch (InterruptedException e) {
                return;
            }
            LOG.info("bystander line");
        });
        bystander.start();   // started before the capture: not the attempt's
        try (AttemptLogs.Capture ignored = capture.capture(row, 1)) {
            LOG.info("attempt line, password=hunter2, key the-s3-secret");
            java.util.logging.Logger.getLogger("jul.test").warning("through java.util.logging");
            Thread child = new Thread(() -> LOG.info("child line"));
            child.start();
            child.join();
            go.countDown();
            bystander.join();
            System.err.println("printed to standard error");
        }
        LOG.info("after the attempt");

        AttemptLog log = store.read("run-capture", "pretrain", 1).orElseThrow();
        assertTrue(log.complete());
        assertEquals(0, log.bytesDropped());
        String text = log.text();
        for (String expected : List.of("attempt line, password=[redacted], key [redacted]", "through java.util.logging",
                "child line", "printed to standard error")) {
            assertTrue(text.contains(expected), expected + " missing from:\n" + text);
        }
        for (String absent : List.of("hunter2", "the-s3-secret", "bystander line", "after the attempt")) {
            assertFalse(text.contains(absent), absent + " in:\n" + text);
        }
        assertEquals(1, text.split("through java.util.logging", -1).length - 1, "a JUL line is caught once:\n" + text);
        assertTrue(store.read("run-capture", "pretrain", 2).isEmpty(), "no log for an attempt that never ran");
    }

    @Test
    void aRunningAttemptsLogReachesTheLedgerWithinAFlushAndIsCompletedAtItsEnd() throws Exception {
        long row = stage("run-flush");
        AttemptLogs.Capture running = capture.capture(row, 1);
        LOG.info("still running");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Optional<AttemptLog> seen = Optional.empty();
        while (System.nanoTime() < deadline && seen.isEmpty()) {
            Thread.sleep(200);
            seen = store.read("run-flush", "pretrain", 1);
        }
        assertTrue(seen.isPresent(), "not flushed within 10 s");
        assertFalse(seen.get().complete());
        assertTrue(seen.get().text().contains("still running"));
        running.close();
        assertTrue(store.read("run-flush", "pretrain", 1).orElseThrow().complete());
        // A late save of the incomplete log does not reopen it.
        store.save(row, 1, "stale", 0, false);
        assertTrue(store.read("run-flush", "pretrain", 1).orElseThrow().text().contains("still running"));
    }
}
