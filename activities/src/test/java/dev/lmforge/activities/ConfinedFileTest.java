package dev.lmforge.activities;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lmforge.services.sources.SourceRoots;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A symbolic link swapped into a checked path between the worker's check and its open (time of check, time of
 * use) is never followed: the swap is done deterministically between {@link StageRuntime#readable} and
 * {@link ConfinedFile#open}, and the file outside the roots is shown reachable by an ordinary open of the same
 * path, so each test fails if the confined open followed the link.
 */
class ConfinedFileTest {

    private static final String SECRET = "admin-token-do-not-leak";

    @TempDir
    Path dir;
    private Path root;
    private Path outside;
    private StageRuntime runtime;

    @BeforeEach
    void files() throws IOException {
        root = Files.createDirectories(dir.resolve("root/in"));
        Files.writeString(root.resolve("a.txt"), "{\"text\":\"inside\"}\n");
        outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("a.txt"), SECRET);
        SourceRoots roots = new SourceRoots(List.of(dir.resolve("root")), List.of(), dir.resolve("data"), "artifacts");
        runtime = new StageRuntime(null, null, "confined-file-test", roots, AttemptCaps.DEFAULT);
    }

    @Test
    void readsACheckedFileThatStayedPut() throws IOException {
        try (InputStream in = runtime.open(null, "corpus.sources[0].path", root.resolve("a.txt"))) {
            assertEquals("{\"text\":\"inside\"}\n", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void refusesTheFileSwappedForALinkAfterTheCheck() throws IOException {
        Path real = runtime.readable(null, "corpus.sources[0].path", root.resolve("a.txt"));
        Files.delete(real);
        Files.createSymbolicLink(real, outside.resolve("a.txt"));
        assertEquals(SECRET, Files.readString(real), "the swap must make an ordinary open read the secret");

        assertFalse(read(real).contains(SECRET));
    }

    @Test
    void refusesAFolderOfThePathSwappedForALinkAfterTheCheck() throws IOException {
        Path real = runtime.readable(null, "corpus.sources[0].path", root.resolve("a.txt"));
        Files.move(root, dir.resolve("root/moved"));
        Files.createSymbolicLink(root, outside);
        assertEquals(SECRET, Files.readString(real), "the swap must make an ordinary open read the secret");

        assertFalse(read(real).contains(SECRET));
    }

    @Test
    void refusesWhatIsNoLongerARegularFile() throws IOException {
        Path real = runtime.readable(null, "corpus.sources[0].path", root.resolve("a.txt"));
        Files.delete(real);
        Files.createDirectory(real);
        assertThrows(IOException.class, () -> ConfinedFile.open(real).close());
    }

    /** The confined open must fail; its message is returned so the test can show it quotes no content. */
    private static String read(Path real) {
        IOException refused = assertThrows(IOException.class, () -> {
            try (InputStream in = ConfinedFile.open(real)) {
                in.readAllBytes();
            }
        });
        return String.valueOf(refused.getMessage());
    }
}
