package dev.lmforge.workflows.stage;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/**
 * The data stage's contract. {@link #snapshotSources} copies the spec's corpus sources into the artifact store
 * (content-addressed, so a second snapshot of unchanged files uploads nothing) and so gives the stage inputs
 * that have digests, which the data workflow then turns into the stage's corpus.
 */
@ActivityInterface
public interface DataStage {

    /** Stores each source file as a {@code raw-dump} artifact; returns them in a stable order. */
    @ActivityMethod
    List<RawDump> snapshotSources(String runId, List<CorpusSource> sources);

    /**
     * The data stage as it was before it became {@link dev.lmforge.workflows.data.DataWorkflow}: only the ingest of
     * the raw dumps named in {@code input.inputs()} into a corpus manifest. Lifecycles recorded before that change
     * still call it when they replay or go on.
     */
    @ActivityMethod
    StageOutput data(StageInput input);
}
