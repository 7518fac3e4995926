package dev.lmforge.activities;

import dev.lmforge.infra.LocalStack;
import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.LedgerSchema;
import dev.lmforge.services.sources.SourceRoots;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.List;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A stage runtime on a real PostgreSQL and S3 server (the local stack on free ports, with its files in
 * {@code dir/stack}, the data folder) for a test class. Specs may read the repository's {@code samples/}, the
 * temporary folder (where tests write their own sources) and the {@code crawl} bucket.
 */
public final class RealStageRuntime implements AutoCloseable {

    public static final String ACCESS_KEY = "test";
    public static final String SECRET_KEY = "test-secret";

    private final LocalStack stack;
    private final String s3Endpoint;
    private final StageRuntime runtime;

    public RealStageRuntime(Path dir) {
        Path stackDir = dir.resolve("stack");
        LocalStack.Options free = LocalStack.Options.onFreePorts(stackDir, ACCESS_KEY, SECRET_KEY);
        stack = LocalStack.start(new LocalStack.Options(stackDir, free.postgresPort(), free.s3Port(), ACCESS_KEY, SECRET_KEY, 0));
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL("jdbc:postgresql://127.0.0.1:" + free.postgresPort() + "/postgres");
        dataSource.setUser("postgres");
        LedgerSchema.migrate(dataSource);
        Ledger ledger = Ledger.over(dataSource);
        s3Endpoint = "http://127.0.0.1:" + free.s3Port();
        ArtifactStore store = new ArtifactStore(s3Endpoint, ACCESS_KEY, SECRET_KEY, "us-east-1", "lmforge");
        store.ensureBucket();
        SourceRoots roots = new SourceRoots(List.of(Path.of("../samples"), Path.of(System.getProperty("java.io.tmpdir"))),
                List.of("crawl/"), stackDir, "lmforge");
        runtime = new StageRuntime(ledger, store, "test-worker", roots, AttemptCaps.DEFAULT);
    }

    public StageRuntime runtime() {
        return runtime;
    }

    public String s3Endpoint() {
        return s3Endpoint;
    }

    /** What runs while an artifact is corrupt. */
    public interface WhileCorrupt {
        void run() throws Exception;
    }

    /**
     * Flips one bit in the middle of the stored bytes of {@code digest} (behind the artifact store's back, as a bad
     * disk would), runs {@code body}, and puts the true bytes back.
     */
    public void withCorruptArtifact(String digest, WhileCorrupt body) throws Exception {
        byte[] bytes = runtime.artifacts().readAllBytes(digest);
        MinioClient s3 = MinioClient.builder().endpoint(s3Endpoint).credentials(ACCESS_KEY, SECRET_KEY).build();
        bytes[bytes.length / 2] ^= 1;
        try {
            put(s3, digest, bytes);
            body.run();
        } finally {
            bytes[bytes.length / 2] ^= 1;
            put(s3, digest, bytes);
        }
    }

    private static void put(MinioClient s3, String digest, byte[] bytes) throws Exception {
        s3.putObject(PutObjectArgs.builder().bucket("lmforge").object(ArtifactStore.keyOf(digest))
                .stream(new ByteArrayInputStream(bytes), bytes.length, -1).build());
    }

    @Override
    public void close() {
        stack.close();
    }
}
