package dev.lmforge.activities.training;

import dev.lmforge.activities.WorkDirectory;
import dev.lmforge.activities.StageContext;
import dev.lmforge.services.ledger.Records.CheckpointRecord;
import dev.lmforge.workflows.stage.ArtifactRef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Writes checkpoints to the artifact store in the background, in order, so that training never waits for an
 * upload: the trainer saves its variables to a local directory (fast), and this zips and uploads them, records
 * the artifact with the stage's cache key and step (how a retried attempt or a resumed run finds it), and then
 * prunes the oldest periodic checkpoints beyond the retention count. Boundary and final checkpoints are kept.
 */
final class CheckpointUploader implements AutoCloseable {

    /** Artifact kind of checkpoints. */
    static final String KIND = "checkpoint";
    /** Checkpoint roles: every few minutes or steps; where the schedule first drops; at the end. */
    static final String PERIODIC = "periodic";
    static final String BOUNDARY = "boundary";
    static final String FINAL = "final";

    private final StageContext context;
    private final String cacheKey;
    private final int keep;
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "lmforge-checkpoint-upload");
        t.setDaemon(true);
        return t;
    });
    private final AtomicReference<Uploaded> newest = new AtomicReference<>();

    /** A checkpoint that reached the store. */
    record Uploaded(ArtifactRef artifact, TrainingCheckpoint state) {
    }

    CheckpointUploader(StageContext context, String cacheKey, int keep) {
        this.context = context;
        this.cacheKey = cacheKey;
        this.keep = keep;
    }

    /** Uploads the variables in {@code saved} (which it then deletes) with {@code state}, in the background. */
    Future<Uploaded> submit(Path saved, TrainingCheckpoint state, boolean last) {
        return executor.submit(() -> {
            Path zip = saved.resolveSibling(saved.getFileName() + ".zip");
            try {
                state.pack(saved, zip);
                String role = state.boundary() ? BOUNDARY : last ? FINAL : PERIODIC;
                Map<String, Object> metadata = new LinkedHashMap<>();
                metadata.put("step", state.step());
                metadata.put("tokens", state.tokens());
                metadata.put("loss", state.loss());
                metadata.put("role", role);
                ArtifactRef ref = context.putArtifact(zip, KIND, metadata);
                context.ledger().recordCheckpoint(cacheKey, state.step(), role, ref.digest(), context.input().runId());
                Uploaded uploaded = new Uploaded(ref, state);
                newest.set(uploaded);
                if (role.equals(PERIODIC)) {
                    prune();
                }
                return uploaded;
            } finally {
                WorkDirectory.delete(saved);
                Files.deleteIfExists(zip);
            }
        });
    }

    /** The newest checkpoint that reached the store, or null. */
    Uploaded newest() {
        return newest.get();
    }

    /**
     * Removes this stage's periodic checkpoints beyond the newest {@code keep}; the bytes go unless another
     * execution's checkpoint is the same artifact.
     */
    private void prune() {
        List<CheckpointRecord> periodic = context.ledger().checkpoints(cacheKey).stream()
                .filter(c -> c.role().equals(PERIODIC)).toList();
        for (CheckpointRecord old : periodic.subList(Math.min(keep, periodic.size()), periodic.size())) {
            if (context.ledger().pruneCheckpoint(cacheKey, old.step(), old.role())) {
                context.artifacts().delete(old.digest());
            }
        }
    }

    /** Waits for the uploads already submitted. */
    @Override
    public void close() throws InterruptedException {
        executor.shutdown();
        if (!executor.awaitTermination(1, TimeUnit.HOURS)) {
            executor.shutdownNow();
        }
    }
}
