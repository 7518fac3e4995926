package dev.lmforge.activities.model;

import dev.lmforge.activities.StageContext;
import dev.lmforge.activities.WorkDirectory;
import dev.lmforge.services.artifacts.ArtifactStoreException;
import dev.lmforge.services.ledger.Records.CheckpointRecord;
import dev.lmforge.workflows.stage.ArtifactRef;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes checkpoints to the artifact store in the background, in order, so that training never waits for an
 * upload: the trainer saves its variables to a local directory (fast), and this zips and uploads them, records
 * the artifact with the stage's cache key and step (how a retried attempt or a resumed run finds it), and then
 * prunes the oldest periodic checkpoints beyond the retention count. Boundary and final checkpoints are kept.
 * {@link #newestReadable} is the other half: where an attempt of a training stage (pretraining, alignment) starts.
 */
public final class CheckpointUploader implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointUploader.class);

    /** The paper checkpointed every 5 minutes (Section 2.4). */
    public static final Duration PAPER_INTERVAL = Duration.ofMinutes(5);
    /** Periodic checkpoints kept per cache key unless a stage is told otherwise. */
    public static final int DEFAULT_KEEP = 3;

    /** Artifact kind of checkpoints. */
    public static final String KIND = "checkpoint";
    /** Checkpoint roles: every few minutes or steps; where the schedule first drops; at the end. */
    public static final String PERIODIC = "periodic";
    public static final String BOUNDARY = "boundary";
    public static final String FINAL = "final";

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
    public record Uploaded(ArtifactRef artifact, TrainingCheckpoint state) {
    }

    /** A checkpoint read back: its record, the directory its variables were unpacked into, and its digest. */
    public record Found(TrainingCheckpoint state, Path variables, String digest) {
    }

    /** Checkpoints of the stage execution with {@code cacheKey}, kept {@code keep} periodic ones at a time. */
    public CheckpointUploader(StageContext context, String cacheKey, int keep) {
        this.context = context;
        this.cacheKey = cacheKey;
        this.keep = keep;
    }

    /**
     * Uploads the variables in {@code saved} (which it then deletes) with {@code state}, in the background: a
     * {@link #BOUNDARY} checkpoint if the state says so, else {@link #FINAL} if {@code last}, else {@link #PERIODIC}.
     */
    public Future<Uploaded> submit(Path saved, TrainingCheckpoint state, boolean last) {
        return submit(saved, state, last, Map.of());
    }

    /** {@link #submit(Path, TrainingCheckpoint, boolean)} with more entries for the artifact's metadata. */
    public Future<Uploaded> submit(Path saved, TrainingCheckpoint state, boolean last, Map<String, ?> extraMetadata) {
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
                metadata.putAll(extraMetadata);
                ArtifactRef ref = context.putArtifact(zip, KIND, metadata);
                context.ledger().artifacts().recordCheckpoint(cacheKey, state.step(), role, ref.digest(), context.input().runId());
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
    public Uploaded newest() {
        return newest.get();
    }

    /**
     * The newest readable checkpoint of any execution with {@code cacheKey}, unpacked into {@code restore}:
     * {@code heartbeated} (the digest a previous attempt heartbeated, or null) first, then the ledger's, newest
     * step first. A corrupt or vanished one (its digest check fails) is logged and the one before it tried.
     */
    public static Optional<Found> newestReadable(StageContext context, String cacheKey, String heartbeated,
                                                 Path restore) throws IOException {
        Set<String> candidates = new LinkedHashSet<>();
        if (heartbeated != null) {
            candidates.add(heartbeated);
        }
        context.ledger().artifacts().checkpoints(cacheKey).stream().map(CheckpointRecord::digest).forEach(candidates::add);
        String stage = context.input().stage();
        for (String digest : candidates) {
            try (InputStream in = context.artifacts().open(digest)) {
                WorkDirectory.delete(restore);
                TrainingCheckpoint state = TrainingCheckpoint.unpack(in, restore);
                LOG.info("{}: resuming from checkpoint {} at step {}", stage, digest, state.step());
                return Optional.of(new Found(state, restore, digest));
            } catch (ArtifactStoreException | IOException e) {
                LOG.warn("{}: checkpoint {} is unusable ({}); trying an older one", stage, digest, e.getMessage());
            }
        }
        return Optional.empty();
    }

    /**
     * Removes this stage's periodic checkpoints beyond the newest {@code keep}; the bytes go unless another
     * execution's checkpoint is the same artifact.
     */
    private void prune() {
        List<CheckpointRecord> periodic = context.ledger().artifacts().checkpoints(cacheKey).stream()
                .filter(c -> c.role().equals(PERIODIC)).toList();
        for (CheckpointRecord old : periodic.subList(Math.min(keep, periodic.size()), periodic.size())) {
            if (context.ledger().artifacts().pruneCheckpoint(cacheKey, old.step(), old.role())) {
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
