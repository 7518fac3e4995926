package dev.lmforge.web.outbox;

import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.config.LmforgeSettings;
import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.Outbox;
import dev.lmforge.services.outbox.IntegrationSettings;
import dev.lmforge.services.outbox.MlflowSink;
import dev.lmforge.services.outbox.OpenLineageSink;
import dev.lmforge.services.outbox.OutboxDeliverer;
import dev.lmforge.services.outbox.OutboxEvents;
import dev.lmforge.web.ControlPlaneServices;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * The outbox on the control plane: the events the ledger activities queue ({@link OutboxEvents}) and the deliverer
 * that sends them to OpenLineage and MLflow in the background, started after the ledger is migrated.
 */
@ApplicationScoped
public class OutboxServices {

    private static final Logger LOG = Logger.getLogger(OutboxServices.class);
    private OutboxDeliverer deliverer;

    @Produces
    @Singleton
    IntegrationSettings integrationSettings(LmforgeSettings settings) {
        return IntegrationSettings.from(ControlPlaneServices::lookup, settings);
    }

    @Produces
    @Singleton
    Outbox outbox(Ledger ledger) {
        return new Outbox(ledger.jdbc());
    }

    @Produces
    @Singleton
    OutboxEvents outboxEvents(Ledger ledger, Outbox outbox, IntegrationSettings settings) {
        return new OutboxEvents(ledger, outbox, settings);
    }

    /** After the control plane (priority 1) migrated the ledger: start delivering. */
    void start(@Observes @Priority(2) StartupEvent event, Ledger ledger, Outbox outbox, IntegrationSettings settings,
               OutboxEvents events, ArtifactStore artifacts) {
        deliverer = new OutboxDeliverer(outbox, Map.of(Outbox.OPENLINEAGE, new OpenLineageSink(settings, outbox),
                Outbox.MLFLOW, new MlflowSink(ledger, outbox, settings, artifacts)), settings, events);
        deliverer.start();
        LOG.infof("outbox: OpenLineage %s, MLflow %s (teams may set their own on the Admin page)",
                settings.openLineageUrl() == null ? "off" : settings.openLineageUrl(),
                settings.mlflowTrackingUri() == null ? "off" : settings.mlflowTrackingUri());
    }

    void stop(@Observes ShutdownEvent event) {
        if (deliverer != null) {
            deliverer.close();
        }
    }
}
