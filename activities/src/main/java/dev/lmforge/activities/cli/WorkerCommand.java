package dev.lmforge.activities.cli;

import dev.lmforge.activities.worker.ComputeWorker;
import dev.lmforge.services.config.LmforgeSettings;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/** {@code lmforge worker --queue NAME...}: a compute worker against the configured Temporal, ledger and store. */
final class WorkerCommand implements Command {

    @Override
    public String name() {
        return "worker";
    }

    @Override
    public String summary() {
        return "run a compute worker: --queue NAME (repeatable; default cpu)";
    }

    @Override
    public Help help() {
        return Help.of("Runs a compute worker against the configured Temporal, ledger and object store (LMFORGE_* "
                + "settings, as the console uses), polling the named task queues until stopped.")
                .usage("worker [--queue NAME]...")
                .option("--queue NAME", "a task queue to poll (repeatable; default the cpu queue)")
                .example("lmforge worker").example("lmforge worker --queue gpu");
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        args.allowOnly("queue");
        LmforgeSettings settings = LmforgeSettings.fromSystem();
        List<String> queues = args.values("queue").isEmpty() ? List.of(settings.cpuQueue()) : args.values("queue");
        WorkflowServiceStubs service = WorkflowServiceStubs.newServiceStubs(
                WorkflowServiceStubsOptions.newBuilder().setTarget(settings.temporalTarget()).build());
        // pid@hostname, then the address the other hosts know this one by
        String identity = "worker-" + String.join("+", queues) + "@" + ManagementFactory.getRuntimeMXBean().getName()
                + ComputeWorker.addressTowards(settings.temporalTarget()).map(a -> "/" + a).orElse("");
        WorkflowClient client = WorkflowClient.newInstance(service, WorkflowClientOptions.newBuilder()
                .setNamespace(settings.temporalNamespace()).setIdentity(identity).build());
        AutoCloseable worker = new ComputeWorker().start(client, LmforgeSettings::systemLookup, queues);
        out.println("lmforge worker " + identity + " polling " + queues + " at " + settings.temporalTarget());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                worker.close();
            } catch (Exception e) {
                err.println("stopping worker: " + e.getMessage());
            }
            service.shutdown();
            stopped.countDown();
        }));
        stopped.await();
        return 0;
    }
}
