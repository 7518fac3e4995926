package dev.lmforge.services;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A python with a pinned set of real clients for the tests that check lmforge against them (transformers for the
 * Hugging Face export, openai for the API): the one an environment variable names, else the virtual environment
 * that {@code activities/src/test/python/hf-venv.sh} installs once per machine. If it cannot be had the test
 * fails; only {@code SKIP_VARIABLE=skip} skips it, for a machine without PyPI.
 */
public final class PinnedPython {

    private PinnedPython() {
    }

    /**
     * The python to check with.
     *
     * @param given   the variable that may name a python already set up ({@code LMFORGE_HF_PYTHON})
     * @param skip    the variable whose value {@code skip} skips the check instead of failing it
     * @param script  {@code hf-venv.sh}, relative to the test's working folder
     * @param args    its arguments: none for the Hugging Face clients, else a requirements file and the modules
     */
    public static Path resolve(String given, String skip, Path script, String... args) throws Exception {
        String named = System.getenv(given);
        if (named != null && !named.isBlank()) {
            return Path.of(named);
        }
        Path log = Files.createTempFile("python-venv", ".log");
        List<String> command = new ArrayList<>(List.of("bash", script.toString()));
        command.addAll(List.of(args));
        Process install = new ProcessBuilder(command).redirectError(log.toFile()).start();
        String printed = new String(install.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        boolean done = install.waitFor(20, TimeUnit.MINUTES);
        if (done && install.exitValue() == 0 && Files.isExecutable(Path.of(printed))) {
            return Path.of(printed);
        }
        String why = "the pinned Python clients could not be installed by " + String.join(" ", command) + ":\n"
                + tail(log);
        Assumptions.assumeFalse("skip".equals(System.getenv(skip)), skip + "=skip: " + why);
        fail(why + "\n(set " + skip + "=skip to skip this check on a machine without PyPI)");
        return null;
    }

    /** The last 4,000 characters of a log, for a failure's message. */
    public static String tail(Path log) {
        try {
            String text = Files.readString(log, StandardCharsets.UTF_8);
            return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
        } catch (IOException e) {
            return "(" + log + " unreadable: " + e.getMessage() + ")";
        }
    }
}
