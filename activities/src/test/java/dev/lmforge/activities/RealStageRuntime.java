package dev.lmforge.activities;

import dev.lmforge.services.RealStack;
import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.sources.SourceRoots;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * A stage runtime on services' {@link RealStack} (real PostgreSQL and S3 on free ports, with its files in
 * {@code dir/stack}, the data folder) for a test class. Specs may read the repository's {@code samples/}, the
 * temporary folder (where tests write their own sources) and the {@code crawl} bucket.
 */
public final class RealStageRuntime implements AutoCloseable {

    private static final String BUCKET = "lmforge";

    private final RealStack stack;
    private final StageRuntime runtime;

    public RealStageRuntime(Path dir) {
        Path stackDir = dir.resolve("stack");
        stack = RealStack.start(stackDir, BUCKET);
        SourceRoots roots = new SourceRoots(List.of(Path.of("../samples"), Path.of(System.getProperty("java.io.tmpdir"))),
                List.of("crawl/"), stackDir, BUCKET);
        runtime = new StageRuntime(stack.ledger(), stack.artifacts(), "test-worker", roots, AttemptCaps.DEFAULT);
    }

    public StageRuntime runtime() {
        return runtime;
    }

    public String s3Endpoint() {
        return stack.s3Endpoint();
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
        MinioClient s3 = MinioClient.builder().endpoint(s3Endpoint()).credentials(RealStack.ACCESS_KEY, RealStack.SECRET_KEY)
                .build();
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
        s3.putObject(PutObjectArgs.builder().bucket(BUCKET).object(ArtifactStore.keyOf(digest))
                .stream(new ByteArrayInputStream(bytes), bytes.length, -1).build());
    }

    @Override
    public void close() {
        stack.close();
    }
}
