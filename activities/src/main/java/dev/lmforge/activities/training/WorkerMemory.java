package dev.lmforge.activities.training;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The memory one training process on this worker may use: {@code LMFORGE_WORKER_MEMORY_GIB} when set (e.g. a
 * GPU's memory, or a container's share), else what Linux reports as available.
 */
final class WorkerMemory {

    private WorkerMemory() {
    }

    static long bytesAvailable() {
        String configured = System.getenv("LMFORGE_WORKER_MEMORY_GIB");
        if (configured != null && !configured.isBlank()) {
            return (long) (Double.parseDouble(configured.trim()) * (1L << 30));
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Not Linux, or an odd /proc: fall back to the JVM's view below.
        }
        return Runtime.getRuntime().maxMemory();
    }
}
