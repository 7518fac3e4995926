package dev.lmforge.services.artifacts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lmforge.services.RealStack;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
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

    private static MinioClient raw() {
        return MinioClient.builder().endpoint(stack.s3Endpoint())
                .credentials(RealStack.ACCESS_KEY, RealStack.SECRET_KEY).region("us-east-1").build();
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
    void theProcessCountsTheBytesItSendsAndReadsButNotAStoredFileSentAgain() throws Exception {
        byte[] content = random(1_500_000, 7);
        Path file = dir.resolve("counted.bin");
        Files.write(file, content);
        long sent = store.bytesUploaded();
        long read = store.bytesRead();
        String digest = store.put(file).digest();
        assertEquals(sent + content.length, store.bytesUploaded(), "a new file is sent whole");
        store.put(file);
        store.put(content);
        assertEquals(sent + content.length, store.bytesUploaded(), "stored content is not sent again");
        store.readAllBytes(digest);
        store.download(digest, dir.resolve("counted-copy.bin"));
        try (InputStream range = store.openRange(digest, 10, 100)) {
            range.readAllBytes();
        }
        assertEquals(read + 2L * content.length + 100, store.bytesRead(), "a read, a download and a range");
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
        MinioClient raw = raw();
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

    /**
     * A file of several parts goes up over parallel connections and comes down in parallel ranges, byte for byte,
     * with a content type S3 tools can show, and no {@code .part} file left beside the download.
     */
    @Test
    void aFileOfSeveralPartsGoesUpAndComesDownInParallelByteForByte() throws Exception {
        byte[] content = random((int) (3 * ObjectTransfers.MIN_PART + 12_345), 4);
        Path file = dir.resolve("parts.bin");
        Files.write(file, content);
        ArtifactStore.StoredObject stored = store.put(file);
        assertEquals(Digests.sha256(content), stored.digest());
        assertEquals(content.length, store.size(stored.digest()).orElseThrow());
        assertEquals("application/octet-stream", stat(stored.digest()).contentType(), "undescribed bytes are opaque");

        Path target = dir.resolve("parts-downloaded.bin");
        store.download(stored.digest(), target);
        assertArrayEquals(content, Files.readAllBytes(target));
        assertFalse(Files.exists(dir.resolve("parts-downloaded.bin.part")));
        assertEquals(stored, store.put(file));   // stored again: found by its digest, not uploaded twice
    }

    private static StatObjectResponse stat(String digest) throws Exception {
        return raw().statObject(StatObjectArgs.builder().bucket("test").object(ArtifactStore.keyOf(digest)).build());
    }

    /** The user metadata S3 tools show, names without their {@code x-amz-meta-} prefix, lower-cased. */
    private static Map<String, String> metadata(StatObjectResponse stat) {
        Map<String, String> lower = new TreeMap<>();
        stat.userMetadata().forEach((name, value) -> lower.put(name.toLowerCase(Locale.ROOT), value));
        return lower;
    }

    /**
     * Every way in (a small file in one PUT, a file in parallel parts, bytes, a stream copied from its staging key)
     * leaves an object whose content type and {@code x-amz-meta-lmforge-*} metadata say what it is, who wrote it
     * and its digest.
     */
    @Test
    void everyPutCarriesItsContentTypeAndMetadataForS3Tools() throws Exception {
        Path small = Files.write(dir.resolve("small.jsonl"), random(20_000, 11));
        Path large = Files.write(dir.resolve("large.bin"), random((int) (2 * ObjectTransfers.MIN_PART + 7), 12));
        ObjectDescription part = ObjectDescription.of("corpus-part", "run-1", "data");
        ObjectDescription checkpoint = ObjectDescription.of("checkpoint", "run-2", "pretrain");
        ObjectDescription report = ObjectDescription.of("data-report", "run-3", "data");
        ObjectDescription dump = ObjectDescription.ofFile("raw-dump", "run-4", null, "crawl/2024.jsonl.gz");
        List<Object[]> cases = List.of(
                new Object[]{store.put(small, part), part, "application/x-ndjson"},
                new Object[]{store.put(large, checkpoint), checkpoint, "application/zip"},
                new Object[]{store.put(random(3_000, 13), report), report, "application/json"},
                new Object[]{store.put(new ByteArrayInputStream(random(40_000, 14)), dump), dump, "application/gzip"});
        for (Object[] c : cases) {
            ArtifactStore.StoredObject stored = (ArtifactStore.StoredObject) c[0];
            ObjectDescription described = (ObjectDescription) c[1];
            StatObjectResponse stat = stat(stored.digest());
            assertEquals(c[2], stat.contentType(), described.kind());
            Map<String, String> expected = new TreeMap<>();
            expected.put("lmforge-kind", described.kind());
            expected.put("lmforge-run", described.runId());
            if (described.stage() != null) {
                expected.put("lmforge-stage", described.stage());
            }
            expected.put("lmforge-digest", "sha256:" + stored.digest());
            assertEquals(expected, metadata(stat), described.kind());
        }
    }

    /**
     * A hostile kind or run id cannot add a header or break the request's signature: its bytes are escaped; a
     * content type that is not a plain MIME type is opaque bytes.
     */
    @Test
    void metadataFromHostileInputIsEscapedToPlainAscii() throws Exception {
        ObjectDescription hostile = new ObjectDescription("kind\r\nx-amz-acl: public-read", "rün-%0A-\u0000",
                "s".repeat(1000), "text/plain\r\nX-Evil: 1");
        ArtifactStore.StoredObject stored = store.put(random(500, 15), hostile);
        StatObjectResponse stat = stat(stored.digest());
        Map<String, String> metadata = metadata(stat);
        assertEquals("kind%0D%0Ax-amz-acl: public-read", metadata.get("lmforge-kind"));
        assertEquals("r%C3%BCn-%250A-%00", metadata.get("lmforge-run"));
        assertEquals(ObjectDescription.MAX_VALUE, metadata.get("lmforge-stage").length());
        assertEquals("application/octet-stream", stat.contentType());
        assertFalse(metadata.containsKey("x-evil"));
    }

    @Test
    void anEmptyFileIsAnArtifactToo() throws Exception {
        Path file = Files.write(dir.resolve("empty.bin"), new byte[0]);
        ArtifactStore.StoredObject stored = store.put(file);
        assertEquals(Digests.sha256(new byte[0]), stored.digest());
        Path target = dir.resolve("empty-downloaded.bin");
        store.download(stored.digest(), target);
        assertEquals(0, Files.size(target));
    }

    /** A part that fails aborts the whole upload: nothing appears under the key, complete or not. */
    @Test
    void anUploadWhosePartFailsLeavesNothingUnderItsKey() throws Exception {
        Path file = Files.write(dir.resolve("short.bin"), random((int) (2 * ObjectTransfers.MIN_PART), 5));
        String key = ArtifactStore.keyOf(Digests.sha256("an upload that fails"));
        // Told the file is longer than it is, the last part runs out of bytes half way.
        IOException e = assertThrows(IOException.class,
                () -> store.transfers().upload(file, 3 * ObjectTransfers.MIN_PART, key, ObjectDescription.opaque(), null));
        assertTrue(e.getMessage() != null, "the failure says what failed");
        assertTrue(store.size(Digests.sha256("an upload that fails")).isEmpty());
        assertThrows(Exception.class, () -> raw().statObject(StatObjectArgs.builder().bucket("test").object(key).build()));
    }

    @Test
    void downloadingAMissingArtifactIsNotFoundAndLeavesNoFile() {
        Path target = dir.resolve("missing.bin");
        assertThrows(ArtifactNotFoundException.class, () -> store.download(Digests.sha256("never stored"), target));
        assertFalse(Files.exists(target));
        assertFalse(Files.exists(dir.resolve("missing.bin.part")));
    }

    /** Parts stay within S3's limits at every size: at least 5 MB, at most 10,000 of them, whole MB. */
    @Test
    void partSizesStayWithinS3sLimits() {
        for (long size : new long[] {ObjectTransfers.MIN_PART + 1, 1L << 30, 100L << 30, 1L << 40, 5L << 40}) {
            long part = ObjectTransfers.partSize(size);
            assertTrue(part >= 5L << 20, size + ": " + part);
            assertTrue((size + part - 1) / part <= ObjectTransfers.MAX_PARTS, size + ": " + part);
            assertEquals(0, part % (1L << 20), size + ": " + part);
        }
    }
}
