package dev.lmforge.web.bench;

import io.quarkus.runtime.Quarkus;

/** Runs a benchmark beside the started application, then exits the process with 0, or 1 if it failed. */
final class BenchThread {

    /** A benchmark's body. */
    interface Body {
        void measure() throws Exception;
    }

    private BenchThread() {
    }

    static void start(Body body) {
        Thread thread = new Thread(() -> {
            int code = 0;
            try {
                body.measure();
            } catch (Exception e) {
                e.printStackTrace();
                code = 1;
            }
            Quarkus.asyncExit(code);
        }, "lmforge-bench");
        thread.start();
    }
}
