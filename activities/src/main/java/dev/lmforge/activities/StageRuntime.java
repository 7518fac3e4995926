package dev.lmforge.activities;

import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.Records.RunRecord;
import dev.lmforge.services.ledger.Records.StoredObjectRecord;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.services.sources.SourceRefusedException;
import dev.lmforge.services.sources.SourceRoots;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * What every stage activity on a compute worker shares: the ledger, the artifact store, the worker's name, the
 * source roots it checks every spec path against before reading it, the caps on what one attempt may read, and
 * where each attempt's log lines go.
 */
public record StageRuntime(Ledger ledger, ArtifactStore artifacts, String workerIdentity, SourceRoots sources,
                           AttemptCaps caps, AttemptLogs logs) {

    /** A runtime that keeps no attempt logs. */
    public StageRuntime(Ledger ledger, ArtifactStore artifacts, String workerIdentity, SourceRoots sources,
                        AttemptCaps caps) {
        this(ledger, artifacts, workerIdentity, sources, caps, AttemptLogs.NONE);
    }

    /**
     * The real path of a file or folder that spec field {@code field} of run {@code runId} names, if the source
     * roots of the run's team allow it; otherwise bad input naming the field and the rule. Read the file through
     * {@link #open}, never by this path: a link swapped in after the check would be followed.
     */
    public Path readable(String runId, String field, Path path) {
        try {
            return rootsFor(runId).local(field, path);
        } catch (SourceRefusedException e) {
            throw new InvalidInputException(e.getMessage());
        }
    }

    /**
     * A stream over the file that spec field {@code field} of run {@code runId} names, checked as {@link #readable}
     * does and then opened by {@link ConfinedFile}, so a symbolic link swapped into its path after the check is
     * refused rather than followed out of the roots.
     */
    public InputStream open(String runId, String field, Path path) {
        Path real = readable(runId, field, path);
        try {
            return ConfinedFile.open(real);
        } catch (IOException e) {
            throw new InvalidInputException(field + ": " + real + " cannot be opened inside the source roots: "
                    + e.getMessage());
        }
    }

    /** Checks an {@code s3://bucket/prefix} source of run {@code runId}, as {@link #readable} does. */
    public void readableS3(String runId, String field, String spelled) {
        try {
            rootsFor(runId).s3(field, spelled);
        } catch (SourceRefusedException e) {
            throw new InvalidInputException(e.getMessage());
        }
    }

    /**
     * Stores a file that {@code producer} wrote as {@code kind}: typed and labelled for S3 tools, and recorded in
     * the ledger's stored objects, so that nothing in the store is there without a record of who put it there.
     */
    public ArtifactStore.StoredObject store(Path file, String kind, Producer producer) {
        return recorded(artifacts.put(file, producer.describe(kind, file.getFileName().toString())), kind, producer);
    }

    /** Stores bytes that {@code producer} wrote as {@code kind}, as {@link #store(Path, String, Producer)} does. */
    public ArtifactStore.StoredObject store(byte[] bytes, String kind, Producer producer) {
        return recorded(artifacts.put(bytes, producer.describe(kind)), kind, producer);
    }

    /**
     * Stores a stream that {@code producer} read from the file {@code fileName} as {@code kind}, as
     * {@link #store(Path, String, Producer)} does.
     */
    public ArtifactStore.StoredObject store(InputStream in, String fileName, String kind, Producer producer) {
        return recorded(artifacts.put(in, producer.describe(kind, fileName)), kind, producer);
    }

    /** Copies an object of another bucket in as {@code kind}, as {@link #store(Path, String, Producer)} stores a file. */
    public ArtifactStore.StoredObject store(ArtifactStore.ExternalObject object, String kind, Producer producer) {
        return recorded(artifacts.copyIn(object, producer.describe(kind, object.key())), kind, producer);
    }

    private ArtifactStore.StoredObject recorded(ArtifactStore.StoredObject stored, String kind, Producer producer) {
        ledger.artifacts().recordStoredObject(new StoredObjectRecord(stored.digest(), kind, producer.runId(),
                producer.stage(), producer.stageRowId(), stored.sizeBytes(), null));
        return stored;
    }

    /** The shared roots and those of the run's team, read from the ledger (the worker trusts no one's word). */
    private SourceRoots rootsFor(String runId) {
        String team = runId == null ? null : ledger.runs().run(runId).map(RunRecord::team).orElse(null);
        return team == null ? sources : sources.plus(new UserStore(ledger.jdbc()).sourceRoots(team));
    }
}
