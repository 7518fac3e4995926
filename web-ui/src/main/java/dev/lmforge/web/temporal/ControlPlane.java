package dev.lmforge.web.temporal;

import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.config.LmforgeSettings;
import dev.lmforge.services.ledger.AuditLog;
import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.LedgerSchema;
import dev.lmforge.services.outbox.OutboxEvents;
import dev.lmforge.web.ControlPlaneServices;
import dev.lmforge.web.ledger.AuditClock;
import dev.lmforge.web.ledger.LedgerActivitiesImpl;
import dev.lmforge.web.ledger.TeamSlots;
import dev.lmforge.workflows.ComputeWorkerLauncher;
import dev.lmforge.workflows.LifecycleWorkflowImpl;
import dev.lmforge.workflows.data.DataWorkflowImpl;
import dev.lmforge.workflows.plan.PlanPreviewWorkflowImpl;
import dev.lmforge.workflows.sweep.ScalingSweepWorkflowImpl;
import io.grpc.StatusRuntimeException;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.temporal.api.workflowservice.v1.DescribeNamespaceRequest;
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
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The control plane's Temporal side: the client, and the workflow worker on the control queue with the ledger
 * activities beside it. Workflow tasks stay here, never on the compute queues, so a dead compute worker never
 * strands a workflow (Temporal's dev server does not move workflow tasks off a dead worker's sticky queue).
 * In local mode it also runs one compute worker in process, found through {@link ServiceLoader}. At start-up it
 * waits for Temporal (a cluster's may come up after lmforge) and then squares the ledger with it.
 */
@ApplicationScoped
public class ControlPlane {

    private static final Logger LOG = Logger.getLogger(ControlPlane.class);

    @Inject
    LmforgeSettings settings;
    @Inject
    Ledger ledger;
    @Inject
    ArtifactStore artifacts;
    @Inject
    RunReconciler reconciler;
    @Inject
    AuditLog audit;
    @Inject
    OutboxEvents outboxEvents;

    private WorkflowServiceStubs service;
    private WorkflowClient client;
    private WorkerFactory factory;
    private AutoCloseable computeWorker;
    private TemporalMode mode;
    private AuditClock auditClock;

    void start(@Observes @Priority(1) StartupEvent event) throws Exception {
        // As the owner, once; everything after, this process included, works as the application role.
        PGSimpleDataSource owner = new PGSimpleDataSource();
        owner.setURL(settings.jdbcUrl());
        owner.setUser(settings.jdbcUser());
        owner.setPassword(settings.jdbcPassword());
        LedgerSchema.migrate(owner, settings.jdbcAppUser(), settings.jdbcAppPassword());
        artifacts.ensureBucket();
        // Pin the log as it stands before anything is appended, so a cut made while lmforge was down shows.
        audit.anchorNow();
        auditClock = new AuditClock(ledger, audit);
        mode = TemporalMode.from(settings, ControlPlaneServices::lookup);
        service = WorkflowServiceStubs.newServiceStubs(
                WorkflowServiceStubsOptions.newBuilder().setTarget(settings.temporalTarget()).build());
        awaitTemporal();
        String pid = ManagementFactory.getRuntimeMXBean().getName();
        client = WorkflowClient.newInstance(service, WorkflowClientOptions.newBuilder()
                .setNamespace(settings.temporalNamespace()).setIdentity("control@" + pid).build());
        factory = WorkerFactory.newInstance(client);
        Worker worker = factory.newWorker(settings.controlQueue());
        registerControlWork(worker, ledger, audit, outboxEvents);
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
        reconciler.reconcile(client, new TeamSlots(ledger.runs(), teamStagesPerQueue()));
        // The one line that says which Temporal this is; the fallback's is a warning, since it loses workflows.
        LOG.logf(mode.durable() ? Logger.Level.INFO : Logger.Level.WARN, "control plane up: %s; queues %s/%s/%s",
                mode.description(), settings.controlQueue(), settings.cpuQueue(), settings.gpuQueue());
    }

    /** The configuration key of the per-team limit of running stages on one task queue (0, the default: none). */
    public static final String TEAM_STAGES_KEY = "lmforge.limits.team-stages-per-queue";

    /**
     * Registers the control queue's work: every workflow type and the ledger activities, which queue the outbox's
     * events through {@code outboxEvents}.
     */
    public static void registerControlWork(Worker worker, Ledger ledger, AuditLog audit, OutboxEvents outboxEvents) {
        worker.registerWorkflowImplementationTypes(LifecycleWorkflowImpl.class, DataWorkflowImpl.class,
                ScalingSweepWorkflowImpl.class, PlanPreviewWorkflowImpl.class);
        worker.registerActivitiesImplementations(new LedgerActivitiesImpl(ledger, audit, teamStagesPerQueue(),
                outboxEvents));
    }

    /** The configured {@link #TEAM_STAGES_KEY}; 0 (no limit) where it is not set. */
    private static int teamStagesPerQueue() {
        String limit = ControlPlaneServices.lookup(TEAM_STAGES_KEY);
        return limit == null || limit.isBlank() ? 0 : Integer.parseInt(limit.strip());
    }

    /** Waits until Temporal answers, saying every 10 s that it does not (and why). */
    private void awaitTemporal() throws InterruptedException {
        long nextLog = System.nanoTime();
        while (true) {
            String problem = unreachable();
            if (problem == null) {
                return;
            }
            if (System.nanoTime() >= nextLog) {
                LOG.errorf("Temporal at %s (namespace %s) does not answer: %s; waiting for it", settings.temporalTarget(),
                        settings.temporalNamespace(), problem);
                nextLog = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            }
            Thread.sleep(500);
        }
    }

    /** Null while Temporal answers for the namespace; else what went wrong. */
    public String unreachable() {
        try {
            service.blockingStub().withDeadlineAfter(3, TimeUnit.SECONDS).describeNamespace(
                    DescribeNamespaceRequest.newBuilder().setNamespace(settings.temporalNamespace()).build());
            return null;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode() + (e.getStatus().getDescription() == null ? "" : ": " + e.getStatus().getDescription());
        }
    }

    /** Which Temporal this is. */
    public TemporalMode mode() {
        return mode;
    }

    void stop(@Observes ShutdownEvent event) throws Exception {
        if (auditClock != null) {
            auditClock.close();
        }
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
