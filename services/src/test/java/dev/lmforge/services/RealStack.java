package dev.lmforge.services;

import dev.lmforge.infra.LocalStack;
import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.ledger.MetadataStore;
import java.nio.file.Path;
import org.postgresql.ds.PGSimpleDataSource;

/** Real PostgreSQL and S3 (the local stack on free ports) for a test class: no mocks. */
public final class RealStack implements AutoCloseable {

    public static final String ACCESS_KEY = "test";
    public static final String SECRET_KEY = "test-secret";

    private final LocalStack stack;
    private final LocalStack.Options options;
    private final MetadataStore ledger;
    private final ArtifactStore artifacts;

    private RealStack(Path dir) {
        options = LocalStack.Options.onFreePorts(dir, ACCESS_KEY, SECRET_KEY);
        stack = LocalStack.start(new LocalStack.Options(dir, options.postgresPort(), options.s3Port(), ACCESS_KEY,
                SECRET_KEY, 0));
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL(jdbcUrl());
        dataSource.setUser("postgres");
        ledger = new MetadataStore(dataSource);
        ledger.migrate();
        artifacts = new ArtifactStore(s3Endpoint(), ACCESS_KEY, SECRET_KEY, "us-east-1", "test");
        artifacts.ensureBucket();
    }

    public static RealStack start(Path dir) {
        return new RealStack(dir);
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + options.postgresPort() + "/postgres";
    }

    public String s3Endpoint() {
        return "http://127.0.0.1:" + options.s3Port();
    }

    public MetadataStore ledger() {
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
