package dev.lmforge.activities.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Python peers that {@code lmforge bench ... --against} compares with (Hugging Face {@code tokenizers},
 * {@code datatrove}, {@code datasketch}): a virtual environment, {@code target/peers-venv} unless
 * {@code LMFORGE_PEERS_VENV} names another, into which {@code peers-requirements.txt} (every package pinned) is
 * installed from PyPI on first use and again whenever that list changes, and the bench's Python scripts, which
 * ship as resources next to this class.
 */
final class PythonPeers {

    private static final String REQUIREMENTS = "peers-requirements.txt";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long INSTALL_MINUTES = 10;

    private final Path venv;

    private PythonPeers(Path venv) {
        this.venv = venv;
    }

    /** Thrown when the peers cannot be installed or a peer script fails; the message says why, briefly. */
    static final class PeerUnavailable extends Exception {
        PeerUnavailable(String message) {
            super(message);
        }
    }

    /**
     * An environment installed by other means (the pinned Hugging Face venv of {@code hf-venv.sh}), used as it
     * is: nothing is installed into it.
     */
    static PythonPeers existing(Path venv) {
        return new PythonPeers(venv);
    }

    /** The environment, installed first if it is missing or its pinned list differs from this build's. */
    static PythonPeers prepare(PrintStream log) throws PeerUnavailable, IOException, InterruptedException {
        String given = System.getenv("LMFORGE_PEERS_VENV");
        Path venv = Path.of(given == null || given.isBlank() ? "target/peers-venv" : given).toAbsolutePath();
        String requirements = resource(REQUIREMENTS);
        Path marker = venv.resolve("lmforge-requirements.txt");
        if (Files.isRegularFile(marker) && Files.readString(marker).equals(requirements)) {
            return new PythonPeers(venv);
        }
        log.printf("installing the pinned Python peers into %s ...%n", venv);
        String python = System.getenv().getOrDefault("LMFORGE_PYTHON", "python3");
        exec(List.of(python, "-m", "venv", "--clear", venv.toString()), Map.of(), INSTALL_MINUTES);
        Path list = venv.resolve(REQUIREMENTS);
        Files.writeString(list, requirements);
        exec(List.of(venv.resolve("bin/pip").toString(), "install", "--quiet", "--disable-pip-version-check",
            "--only-binary=:all:", "-r", list.toString()), Map.of(), INSTALL_MINUTES);
        Files.writeString(marker, requirements);
        return new PythonPeers(venv);
    }

    /**
     * Runs one of the bench's scripts with the environment's Python and returns the JSON object that it prints as
     * its last line of output.
     */
    JsonNode run(String script, List<String> arguments, Map<String, String> environment, long timeoutMinutes)
            throws PeerUnavailable, IOException, InterruptedException {
        Path file = venv.resolve("scripts").resolve(script);
        Files.createDirectories(file.getParent());
        Files.writeString(file, resource(script));
        List<String> command = new ArrayList<>(List.of(venv.resolve("bin/python").toString(), file.toString()));
        command.addAll(arguments);
        String last = ChildProcess.lastLine(exec(command, environment, timeoutMinutes));
        try {
            return JSON.readTree(last);
        } catch (IOException e) {
            throw new PeerUnavailable(script + " printed no JSON figures at the end: " + ChildProcess.tail(last));
        }
    }

    private static String exec(List<String> command, Map<String, String> environment, long minutes)
            throws PeerUnavailable, IOException, InterruptedException {
        try {
            return ChildProcess.output(command, environment, minutes);
        } catch (ChildProcess.Failed e) {
            throw new PeerUnavailable(e.getMessage());
        }
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = PythonPeers.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("resource " + name + " is missing from this build");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
