package dev.lmforge.web;

import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.config.LmforgeSettings;
import dev.lmforge.services.ledger.AuditLog;
import dev.lmforge.services.ledger.MetadataStore;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.services.sources.SourceRoots;
import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
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
    MetadataStore metadataStore(AgroalDataSource dataSource) {
        return new MetadataStore(dataSource);
    }

    @Produces
    @Singleton
    AuditLog auditLog(MetadataStore store) {
        return new AuditLog(store);
    }

    @Produces
    @Singleton
    UserStore userStore(MetadataStore store) {
        return new UserStore(store);
    }

    @Produces
    @Singleton
    ArtifactStore artifactStore(LmforgeSettings settings) {
        return ArtifactStore.of(settings);
    }

    @Produces
    @Singleton
    SourceRoots sourceRoots(LmforgeSettings settings) {
        return SourceRoots.from(ControlPlaneServices::lookup, settings);
    }
}
