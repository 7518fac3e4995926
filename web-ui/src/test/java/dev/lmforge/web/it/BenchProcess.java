package dev.lmforge.web.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A benchmark run as a user runs it: the packaged app, {@code lmforge bench ...}, its own stack on free ports. */
final class BenchProcess {

    private BenchProcess() {
    }

    /** Runs {@code lmforge bench <args>} with its temporary files under {@code dir}; asserts it ends with 0 in time. */
    static String run(Path dir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("java", "-Djava.io.tmpdir=" + dir, "-jar",
                System.getProperty("lmforge.app.jar"), "bench"));
        command.addAll(List.of(args));
        Path out = dir.resolve("bench.log");
        Process bench = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        boolean ended = bench.waitFor(300, TimeUnit.SECONDS);
        if (!ended) {
            bench.destroyForcibly();
        }
        String printed = Files.readString(out, StandardCharsets.UTF_8);
        assertTrue(ended, "the bench did not end within 300 s:\n" + printed);
        assertEquals(0, bench.exitValue(), printed);
        return printed;
    }
}
