package dev.lmforge.services;

import dev.lmforge.infra.LocalStack;
import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.LedgerSchema;
import java.nio.file.Path;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Real PostgreSQL and S3 (the local stack on free ports, its files in {@code dir}) for a test class: no mocks. The
 * ledger is migrated and the artifact store's bucket made. Services' tests use it as it is; the activities build
 * a stage runtime on it (services' test-jar).
 */
public final class RealStack implements AutoCloseable {

    public static final String ACCESS_KEY = "test";
    public static final String SECRET_KEY = "test-secret";

    private final LocalStack stack;
    private final LocalStack.Options options;
    private final Ledger ledger;
    private final ArtifactStore artifacts;

    private RealStack(Path dir, String bucket) {
        options = LocalStack.Options.onFreePorts(dir, ACCESS_KEY, SECRET_KEY);
        stack = LocalStack.start(new LocalStack.Options(dir, options.postgresPort(), options.s3Port(), ACCESS_KEY,
                SECRET_KEY, 0));
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL(jdbcUrl());
        dataSource.setUser("postgres");
        LedgerSchema.migrate(dataSource);
        ledger = Ledger.over(dataSource);
        artifacts = new ArtifactStore(s3Endpoint(), ACCESS_KEY, SECRET_KEY, "us-east-1", bucket);
        artifacts.ensureBucket();
    }

    /** A stack whose artifact store keeps its objects in bucket {@code test}. */
    public static RealStack start(Path dir) {
        return start(dir, "test");
    }

    public static RealStack start(Path dir, String bucket) {
        return new RealStack(dir, bucket);
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + options.postgresPort() + "/postgres";
    }

    public String s3Endpoint() {
        return "http://127.0.0.1:" + options.s3Port();
    }

    public Ledger ledger() {
        return ledger;
    }

    public ArtifactStore artifacts() {
        return artifacts;
    }

    @Override
    public void close() {
        stack.close();
    }
}
