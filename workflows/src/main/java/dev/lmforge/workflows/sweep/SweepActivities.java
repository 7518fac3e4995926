package dev.lmforge.workflows.sweep;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/**
 * The scaling sweep's activities, on a compute queue. Bad options fail without retry, naming the option.
 */
@ActivityInterface
public interface SweepActivities {

    /**
     * The probes of one sweep kind at every budget. IsoFLOP probes train with the batch size and learning rate of
     * the laws fitted through {@code hyperparameterResults} when there are any, else with Eq. 1's.
     */
    @ActivityMethod
    List<SweepProbe> designProbes(SweepInput input, String kind, List<ProbeResult> hyperparameterResults);

    /** Trains one probe on the input's token shards, heartbeating, and measures its held-out loss. */
    @ActivityMethod
    ProbeResult runProbe(SweepInput input, SweepProbe probe);

    /**
     * Fits the laws through every probe's result, stores them as a {@code scaling-fit} artifact and writes the
     * points and constants to the ledger's metrics.
     */
    @ActivityMethod
    SweepOutcome fitSweep(SweepInput input, List<ProbeResult> results);
}
