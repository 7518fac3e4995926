package dev.lmforge.activities.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lmforge.activities.RealStageRuntime;
import dev.lmforge.activities.StageRuntime;
import dev.lmforge.services.RealStack;
import dev.lmforge.services.artifacts.Digests;
import dev.lmforge.workflows.spec.DataSettings;
import dev.lmforge.workflows.stage.CorpusSource;
import dev.lmforge.workflows.stage.DataStage;
import dev.lmforge.workflows.stage.RawDump;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.UploadObjectArgs;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Corpus sources on a local path and under an S3 prefix, snapshotted into the artifact store on a real
 * PostgreSQL and S3 server (the local stack), through Temporal's activity test environment.
 */
class SnapshotSourcesTest {

    static final Path CORPUS = Path.of("../samples/corpus").toAbsolutePath().normalize();

    @TempDir
    static Path dir;
    static RealStageRuntime stack;
    static StageRuntime runtime;
    static MinioClient s3;

    @BeforeAll
    static void start() throws Exception {
        stack = new RealStageRuntime(dir);
        runtime = stack.runtime();
        s3 = MinioClient.builder().endpoint(stack.s3Endpoint())
                .credentials(RealStack.ACCESS_KEY, RealStack.SECRET_KEY).region("us-east-1").build();
        s3.makeBucket(MakeBucketArgs.builder().bucket("crawl").build());
        for (String name : List.of("dump-2024-01.jsonl", "dump-2024-02.jsonl.gz", "SOURCES.md")) {
            s3.uploadObject(UploadObjectArgs.builder().bucket("crawl").object("cc/" + name)
                    .filename(CORPUS.resolve(name).toString()).build());
        }
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    private static List<RawDump> snapshot(String path) {
        TestActivityEnvironment env = TestActivityEnvironment.newInstance();
        try {
            env.registerActivitiesImplementations(new DataStageActivities(runtime));
            return env.newActivityStub(DataStage.class, ActivityOptions.newBuilder()
                            .setStartToCloseTimeout(Duration.ofMinutes(1))
                            .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build()).build())
                    .snapshotSources("run-test", List.of(new CorpusSource(path, null, "docs", null)));
        } finally {
            env.close();
        }
    }

    @Test
    void everyReadableObjectUnderAnS3PrefixBecomesARawDumpWithTheSameBytes() throws Exception {
        List<RawDump> dumps = snapshot("s3://crawl/cc/");
        assertEquals(List.of("s3://crawl/cc/dump-2024-01.jsonl", "s3://crawl/cc/dump-2024-02.jsonl.gz"),
                dumps.stream().map(RawDump::path).toList(), "SOURCES.md is not a corpus file");
        assertEquals(List.of("dump-2024-01", "dump-2024-02"), dumps.stream().map(RawDump::dump).toList());
        assertEquals(Digests.sha256(CORPUS.resolve("dump-2024-02.jsonl.gz")), dumps.get(1).artifact().digest());
        assertEquals("raw-dump", runtime.ledger().artifacts().artifact(dumps.get(0).artifact().digest()).orElseThrow().kind());
        // The same bytes from a local path share the artifact.
        List<RawDump> local = snapshot(CORPUS.resolve("dump-2024-01.jsonl").toString());
        assertEquals(dumps.get(0).artifact(), local.get(0).artifact());
        assertTrue(Files.exists(CORPUS.resolve("dump-2024-01.jsonl")));
    }

    @Test
    void anEmptyPrefixOrAMissingPathIsAnErrorNamingTheField() {
        ActivityFailure e = assertThrows(ActivityFailure.class, () -> snapshot("s3://crawl/nothing-here/"));
        assertTrue(e.getCause().getMessage().contains("corpus.sources[0].path"), e.getCause().getMessage());
        e = assertThrows(ActivityFailure.class, () -> snapshot("/no/such/corpus"));
        assertTrue(e.getCause().getMessage().contains("corpus.sources[0].path"), e.getCause().getMessage());
    }

    /**
     * The worker checks every path itself, and every file in a source folder, before it stores any: a symlink
     * planted among good files, a system file, lmforge's own data folder, the artifact bucket and a bucket outside
     * the roots are all refused by field and rule, and the good file beside the symlink is not stored either.
     */
    @Test
    void theWorkerRefusesWhatTheRootsDoNotAllowAndStoresNothingOfIt() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("planted"));
        Path good = Files.writeString(folder.resolve("a.jsonl"), "{\"text\": \"a document only this test wrote\"}\n");
        Files.createSymbolicLink(folder.resolve("b.jsonl"), Path.of("/etc/passwd"));
        Path credentials = Files.writeString(Files.createDirectories(dir.resolve("stack")).resolve("token.txt"), "secret");
        for (String path : List.of(folder.toString(), "/etc/passwd", "/proc/self/environ", credentials.toString(),
                dir.resolve("planted/../stack/token.txt").toString(), "s3://lmforge/artifacts/", "s3://other/")) {
            ActivityFailure e = assertThrows(ActivityFailure.class, () -> snapshot(path), path);
            String message = e.getCause().getMessage();
            assertTrue(message.contains("corpus.sources[0].path: "), message);
            assertTrue(message.contains("outside the allowed") || message.contains("never a source")
                    || message.contains("data folder"), message);
            assertFalse(message.contains("root:") || message.contains("secret"), "no file content in " + message);
        }
        assertTrue(runtime.ledger().artifacts().artifact(Digests.sha256(good)).isEmpty(), "nothing was stored");
    }

    /** A folder of more files than one data stage takes is refused by the cap's rule before any file is stored. */
    @Test
    void aFolderOfMoreFilesThanADataStageTakesIsRefusedBeforeAnyIsStored() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("many"));
        for (int i = 0; i <= DataSettings.MAX_RAW_DUMPS; i++) {
            Files.writeString(folder.resolve(String.format("part-%05d.jsonl", i)), "{\"text\": \"file " + i + "\"}\n");
        }
        ActivityFailure e = assertThrows(ActivityFailure.class, () -> snapshot(folder.toString()));
        String message = e.getCause().getMessage();
        assertTrue(message.contains("corpus.sources: 2,001 files, more than the 2,000 one data stage takes"), message);
        assertTrue(runtime.ledger().artifacts().artifact(Digests.sha256(folder.resolve("part-00000.jsonl"))).isEmpty(),
                "nothing was stored");
    }
}
