package dev.lmforge.web;

import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.config.LmforgeSettings;
import dev.lmforge.services.ledger.ArtifactLedger;
import dev.lmforge.services.ledger.AttemptLogStore;
import dev.lmforge.services.ledger.AuditAnchors;
import dev.lmforge.services.ledger.AuditKey;
import dev.lmforge.services.ledger.AuditLog;
import dev.lmforge.services.ledger.GarbageCollector;
import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.MetricStore;
import dev.lmforge.services.ledger.RunStore;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.services.sources.SourceRoots;
import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Duration;
import org.eclipse.microprofile.config.ConfigProvider;

/** Produces the shared services for the control plane from Quarkus' configuration and datasource. */
@ApplicationScoped
public class ControlPlaneServices {

    @Produces
    @Singleton
    LmforgeSettings settings() {
        return LmforgeSettings.from(ControlPlaneServices::lookup);
    }

    /** A configuration value by dotted key, or null; environment variables are seen through MicroProfile Config. */
    public static String lookup(String key) {
        return ConfigProvider.getConfig().getOptionalValue(key, String.class).orElse(null);
    }

    @Produces
    @Singleton
    Ledger ledger(AgroalDataSource dataSource) {
        return Ledger.over(dataSource);
    }

    @Produces
    @Singleton
    RunStore runStore(Ledger ledger) {
        return ledger.runs();
    }

    @Produces
    @Singleton
    ArtifactLedger artifactLedger(Ledger ledger) {
        return ledger.artifacts();
    }

    @Produces
    @Singleton
    MetricStore metricStore(Ledger ledger) {
        return ledger.metrics();
    }

    /**
     * The audit log, keyed by {@code LMFORGE_AUDIT_KEY} or the data folder's {@code audit-key} file, anchored in the
     * artifact store every {@code LMFORGE_AUDIT_ANCHOR_EVENTS} events (100) or {@code LMFORGE_AUDIT_ANCHOR_MINUTES}
     * minutes (5), whichever comes first.
     */
    @Produces
    @Singleton
    AuditLog auditLog(Ledger ledger, LmforgeSettings settings, ArtifactStore artifacts) {
        AuditKey key = AuditKey.load(lookup("lmforge.audit.key"), settings.dataDir());
        return new AuditLog(ledger.jdbc(), key, new AuditAnchors(artifacts, AuditAnchors.DEFAULT_PREFIX),
                new AuditLog.AnchorPolicy(positive("lmforge.audit.anchor-events", 100),
                        Duration.ofMinutes(positive("lmforge.audit.anchor-minutes", 5))));
    }

    private static int positive(String key, int fallback) {
        String v = lookup(key);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v.strip());
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // Reported below with the key's name.
        }
        throw new IllegalArgumentException(key + " (" + LmforgeSettings.envName(key) + ") must be a positive whole number, not '" + v + "'");
    }

    @Produces
    @Singleton
    UserStore userStore(Ledger ledger) {
        return new UserStore(ledger.jdbc());
    }

    @Produces
    @Singleton
    AttemptLogStore attemptLogStore(Ledger ledger) {
        return new AttemptLogStore(ledger.jdbc());
    }

    @Produces
    @Singleton
    ArtifactStore artifactStore(LmforgeSettings settings) {
        return ArtifactStore.of(settings);
    }

    @Produces
    @Singleton
    GarbageCollector garbageCollector(Ledger ledger, ArtifactStore artifacts) {
        return new GarbageCollector(ledger.jdbc(), artifacts);
    }

    @Produces
    @Singleton
    SourceRoots sourceRoots(LmforgeSettings settings) {
        return SourceRoots.from(ControlPlaneServices::lookup, settings);
    }
}
