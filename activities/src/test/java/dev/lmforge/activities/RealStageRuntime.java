package dev.lmforge.activities;

import dev.lmforge.infra.LocalStack;
import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.ledger.MetadataStore;
import java.nio.file.Path;
import org.postgresql.ds.PGSimpleDataSource;

/** A stage runtime on a real PostgreSQL and S3 server (the local stack on free ports) for a test class. */
public final class RealStageRuntime implements AutoCloseable {

    public static final String ACCESS_KEY = "test";
    public static final String SECRET_KEY = "test-secret";

    private final LocalStack stack;
    private final String s3Endpoint;
    private final StageRuntime runtime;

    public RealStageRuntime(Path dir) {
        LocalStack.Options free = LocalStack.Options.onFreePorts(dir, ACCESS_KEY, SECRET_KEY);
        stack = LocalStack.start(new LocalStack.Options(dir, free.postgresPort(), free.s3Port(), ACCESS_KEY, SECRET_KEY, 0));
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL("jdbc:postgresql://127.0.0.1:" + free.postgresPort() + "/postgres");
        dataSource.setUser("postgres");
        MetadataStore ledger = new MetadataStore(dataSource);
        ledger.migrate();
        s3Endpoint = "http://127.0.0.1:" + free.s3Port();
        ArtifactStore store = new ArtifactStore(s3Endpoint, ACCESS_KEY, SECRET_KEY, "us-east-1", "lmforge");
        store.ensureBucket();
        runtime = new StageRuntime(ledger, store, "test-worker");
    }

    public StageRuntime runtime() {
        return runtime;
    }

    public String s3Endpoint() {
        return s3Endpoint;
    }

    @Override
    public void close() {
        stack.close();
    }
}
