package dev.lmforge.web.temporal;

import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.config.LmforgeSettings;
import dev.lmforge.services.ledger.MetadataStore;
import dev.lmforge.web.ControlPlaneServices;
import dev.lmforge.web.ledger.LedgerActivitiesImpl;
import dev.lmforge.web.runs.RunReconciler;
import dev.lmforge.workflows.ComputeWorkerLauncher;
import dev.lmforge.workflows.LifecycleWorkflowImpl;
import dev.lmforge.workflows.data.DataWorkflowImpl;
import dev.lmforge.workflows.plan.PlanPreviewWorkflowImpl;
import dev.lmforge.workflows.sweep.ScalingSweepWorkflowImpl;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The control plane's Temporal side: the client, and the workflow worker on the control queue with the ledger
 * activities beside it. Workflow tasks stay here, never on the compute queues, so a dead compute worker never
 * strands a workflow (Temporal's dev server does not move workflow tasks off a dead worker's sticky queue).
 * In local mode it also runs one compute worker in process, found through {@link ServiceLoader}.
 */
@ApplicationScoped
public class ControlPlane {

    private static final Logger LOG = Logger.getLogger(ControlPlane.class);

    @Inject
    LmforgeSettings settings;
    @Inject
    MetadataStore ledger;
    @Inject
    ArtifactStore artifacts;
    @Inject
    RunReconciler reconciler;

    private WorkflowServiceStubs service;
    private WorkflowClient client;
    private WorkerFactory factory;
    private AutoCloseable computeWorker;

    void start(@Observes @Priority(1) StartupEvent event) throws Exception {
        ledger.migrate();
        artifacts.ensureBucket();
        service = WorkflowServiceStubs.newServiceStubs(
                WorkflowServiceStubsOptions.newBuilder().setTarget(settings.temporalTarget()).build());
        String pid = ManagementFactory.getRuntimeMXBean().getName();
        client = WorkflowClient.newInstance(service, WorkflowClientOptions.newBuilder()
                .setNamespace(settings.temporalNamespace()).setIdentity("control@" + pid).build());
        factory = WorkerFactory.newInstance(client);
        Worker worker = factory.newWorker(settings.controlQueue());
        worker.registerWorkflowImplementationTypes(LifecycleWorkflowImpl.class, DataWorkflowImpl.class,
                ScalingSweepWorkflowImpl.class, PlanPreviewWorkflowImpl.class);
        worker.registerActivitiesImplementations(new LedgerActivitiesImpl(ledger));
        factory.start();
        if (Boolean.parseBoolean(ControlPlaneServices.lookup("lmforge.local-compute"))) {
            WorkflowClient computeClient = WorkflowClient.newInstance(service, WorkflowClientOptions.newBuilder()
                    .setNamespace(settings.temporalNamespace()).setIdentity("local-compute@" + pid).build());
            ComputeWorkerLauncher launcher = ServiceLoader.load(ComputeWorkerLauncher.class,
                    Thread.currentThread().getContextClassLoader()).findFirst().orElseThrow(() ->
                    new IllegalStateException("lmforge.local-compute is on but no compute worker is on the class path"));
            computeWorker = launcher.start(computeClient, ControlPlaneServices::lookup,
                    List.of(settings.cpuQueue(), settings.gpuQueue()));
        }
        reconciler.reconcile(service, settings.temporalNamespace());
        LOG.infof("control plane up: Temporal %s, queues %s/%s/%s", settings.temporalTarget(), settings.controlQueue(),
                settings.cpuQueue(), settings.gpuQueue());
    }

    void stop(@Observes ShutdownEvent event) throws Exception {
        if (computeWorker != null) {
            computeWorker.close();
        }
        if (factory != null) {
            factory.shutdown();
            factory.awaitTermination(5, TimeUnit.SECONDS);
        }
        if (service != null) {
            service.shutdown();
        }
    }

    public WorkflowClient client() {
        return client;
    }
}
