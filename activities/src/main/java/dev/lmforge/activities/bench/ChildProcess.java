package dev.lmforge.activities.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a benchmark's helper process (a Python peer, pip, a second JVM) to its end and returns what it printed. */
final class ChildProcess {

    private ChildProcess() {
    }

    /** The process did not start, ran too long or exited non-zero; the message carries the end of its output. */
    static final class Failed extends Exception {
        Failed(String message) {
            super(message);
        }
    }

    /** Standard output and error together, after the process exited 0 within {@code minutes}. */
    static String output(List<String> command, Map<String, String> environment, long minutes)
            throws Failed, IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new Failed("cannot start " + command.get(0) + ": " + e.getMessage());
        }
        process.getOutputStream().close();
        byte[] output;
        try (InputStream in = process.getInputStream()) {
            output = in.readAllBytes();   // the helpers print a few lines (pip --quiet only its errors)
        }
        String name = String.join(" ", command.subList(0, Math.min(2, command.size())));
        if (!process.waitFor(minutes, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new Failed(name + " ran past " + minutes + " minutes");
        }
        String text = new String(output, StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new Failed(name + " exited with " + process.exitValue() + ": " + tail(text));
        }
        return text;
    }

    /** The last line of {@code text}, where the helpers print their JSON figures. */
    static String lastLine(String text) {
        String t = text.strip();
        return t.substring(t.lastIndexOf('\n') + 1);
    }

    static String tail(String text) {
        String t = text.strip();
        return t.length() > 2000 ? "..." + t.substring(t.length() - 2000) : t;
    }
}
