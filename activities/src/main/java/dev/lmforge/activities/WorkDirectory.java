package dev.lmforge.activities;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Scratch folders of stage attempts: made under the JVM's temporary folder, deleted with everything in them. */
public final class WorkDirectory {

    private WorkDirectory() {
    }

    /** Deletes {@code root} and everything under it; a missing folder is not an error. */
    public static void delete(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** The bytes of the regular files under {@code root} now; files that vanish while it looks count as 0. */
    public static long size(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.mapToLong(p -> {
                try {
                    return Files.isRegularFile(p) ? Files.size(p) : 0;
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        }
    }
}
