package dev.lmforge.workflows.data;

import dev.lmforge.workflows.stage.StageOutput;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * The data stage as a child workflow of the lifecycle: ingest the raw dumps into one shard each, then exact and
 * MinHash near-duplicate removal with the LSH band keys shuffled through the artifact store (sign each shard into
 * partition files, find the pairs of each partition, cluster once, write each shard's survivors), the quality
 * filter and the remix per shard, and finally the corpus manifest and the report. Every step but ingest and
 * clustering fans out over the shards or partitions on the cpu queue, so no worker holds the whole index.
 */
@WorkflowInterface
public interface DataWorkflow {

    /** Runs the data stage; outputs {@code corpus} (the manifest) and {@code report} (the data report). */
    @WorkflowMethod
    StageOutput run(DataWorkflowInput input);
}
