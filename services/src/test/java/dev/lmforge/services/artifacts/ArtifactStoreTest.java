package dev.lmforge.services.artifacts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lmforge.services.RealStack;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The artifact store against a real S3 server (S3Proxy). */
class ArtifactStoreTest {

    @TempDir
    static Path dir;
    static RealStack stack;
    static ArtifactStore store;

    @BeforeAll
    static void start() {
        stack = RealStack.start(dir.resolve("stack"));
        store = stack.artifacts();
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    private static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    @Test
    void fileStreamAndBytesOfTheSameContentShareOneAddress() throws Exception {
        byte[] content = random(3_000_000, 1);
        Path file = dir.resolve("content.bin");
        Files.write(file, content);
        ArtifactStore.StoredObject fromFile = store.put(file);
        assertEquals(Digests.sha256(content), fromFile.digest());
        assertEquals(content.length, fromFile.sizeBytes());
        assertEquals(fromFile, store.put(new ByteArrayInputStream(content)));
        assertEquals(fromFile, store.put(content));
        try (InputStream in = store.open(fromFile.digest())) {
            assertArrayEquals(content, in.readAllBytes());
        }
    }

    @Test
    void aStreamLargerThanOnePartIsUploadedInPartsAndReadBackWhole() {
        byte[] content = random(40 * 1024 * 1024 + 17, 2);
        ArtifactStore.StoredObject stored = store.put(new ByteArrayInputStream(content));
        assertEquals(Digests.sha256(content), stored.digest());
        Path target = dir.resolve("downloaded.bin");
        store.download(stored.digest(), target);
        assertArrayEquals(content, assertDoesNotThrowRead(target));
        assertEquals(content.length, store.size(stored.digest()).orElseThrow());
    }

    private static byte[] assertDoesNotThrowRead(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aCorruptedObjectIsAnErrorNamingTheArtifactAndNeverADownloadedFile() throws Exception {
        byte[] content = random(100_000, 3);
        String digest = store.put(content).digest();
        // Corrupt it behind the store's back, as a disk or a careless operator would.
        MinioClient raw = MinioClient.builder().endpoint(stack.s3Endpoint())
                .credentials(RealStack.ACCESS_KEY, RealStack.SECRET_KEY).region("us-east-1").build();
        byte[] bad = content.clone();
        bad[5000] ^= 1;
        raw.putObject(PutObjectArgs.builder().bucket("test").object(ArtifactStore.keyOf(digest))
                .stream(new ByteArrayInputStream(bad), bad.length, -1).build());

        CorruptArtifactException e = assertThrows(CorruptArtifactException.class, () -> store.readAllBytes(digest));
        assertTrue(e.getMessage().contains(digest), e.getMessage());
        Path target = dir.resolve("corrupt.bin");
        assertThrows(CorruptArtifactException.class, () -> store.download(digest, target));
        assertFalse(Files.exists(target));
        assertFalse(Files.exists(dir.resolve("corrupt.bin.part")));
    }

    @Test
    void aMissingArtifactIsNotFound() {
        String digest = Digests.sha256("never stored");
        assertTrue(store.size(digest).isEmpty());
        assertThrows(ArtifactNotFoundException.class, () -> store.open(digest));
        assertThrows(IllegalArgumentException.class, () -> store.open("../../etc/passwd"));
    }

    /**
     * A {@code /proc} file says it is 0 bytes and reads as more; a FIFO is no file at all. Neither may become an
     * artifact whose bytes differ from its digest.
     */
    @Test
    void aFileWhoseSizeLiesOrThatIsNotRegularIsRefused() throws Exception {
        ArtifactStoreException e = assertThrows(ArtifactStoreException.class, () -> store.put(Path.of("/proc/self/status")));
        assertTrue(e.getMessage().contains("changes while it is stored"), e.getMessage());
        Path fifo = dir.resolve("pipe");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        e = assertThrows(ArtifactStoreException.class, () -> store.put(fifo));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }
}
