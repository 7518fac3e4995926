package dev.lmforge.workflows.sweep;

import dev.lmforge.workflows.stage.Stage;
import io.temporal.workflow.Async;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.util.ArrayList;
import java.util.List;

/** Runs the hyperparameter probes, then the IsoFLOP probes, then the fit; see {@link ScalingSweepWorkflow}. */
public class ScalingSweepWorkflowImpl implements ScalingSweepWorkflow {

    private String phase = "designing";
    private int probesDone;
    private int probesTotal;

    @Override
    public SweepOutcome run(SweepInput input) {
        // The plan stage's timeouts and retries: probes are short training runs that heartbeat every step.
        SweepActivities sweep = Workflow.newActivityStub(SweepActivities.class,
                Stage.PLAN.activityOptions(input.queue()));
        List<ProbeResult> results = new ArrayList<>();
        if (input.options().runsHyperparameters()) {
            results.addAll(runAll(sweep, input, sweep.designProbes(input, SweepOptions.HYPERPARAMETERS, List.of())));
        }
        if (input.options().runsIsoFlop()) {
            List<ProbeResult> grid = List.copyOf(results);
            results.addAll(runAll(sweep, input, sweep.designProbes(input, SweepOptions.ISOFLOP, grid)));
        }
        phase = "fitting";
        SweepOutcome outcome = sweep.fitSweep(input, results);
        phase = "done";
        return outcome;
    }

    /** Starts every probe at once (the workers' slots bound how many train together) and waits for all. */
    private List<ProbeResult> runAll(SweepActivities sweep, SweepInput input, List<SweepProbe> probes) {
        if (!probes.isEmpty()) {
            phase = probes.get(0).kind();
        }
        probesTotal += probes.size();
        List<Promise<ProbeResult>> running = probes.stream()
                .map(p -> Async.function(sweep::runProbe, input, p).thenApply(r -> {
                    probesDone++;
                    return r;
                }))
                .toList();
        Promise.allOf(running).get();
        return running.stream().map(Promise::get).toList();
    }

    @Override
    public SweepProgress progress() {
        return new SweepProgress(phase, probesDone, probesTotal);
    }
}
