package dev.lmforge.services.ledger;

import javax.sql.DataSource;

/**
 * The ledger's stores over one database, made once where a process opens the ledger: {@link RunStore} for runs,
 * stages and attempts, {@link ArtifactLedger} for artifact records, checkpoints and lineage, {@link MetricStore}
 * for metrics and evaluations. {@link #jdbc()} is there for the stores kept apart ({@link UserStore},
 * {@link AuditLog}).
 */
public record Ledger(Jdbc jdbc, RunStore runs, ArtifactLedger artifacts, MetricStore metrics) {

    public static Ledger over(DataSource dataSource) {
        Jdbc jdbc = new Jdbc(dataSource);
        return new Ledger(jdbc, new RunStore(jdbc), new ArtifactLedger(jdbc), new MetricStore(jdbc));
    }
}
