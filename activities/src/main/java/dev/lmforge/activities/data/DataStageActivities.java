package dev.lmforge.activities.data;

import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.Producer;
import dev.lmforge.activities.StageContext;
import dev.lmforge.activities.StageRuntime;
import dev.lmforge.activities.text.CorpusReader;
import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.ledger.LedgerJson;
import dev.lmforge.services.sources.SourceRoots;
import dev.lmforge.workflows.spec.DataSettings;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.CorpusSource;
import dev.lmforge.workflows.stage.DataStage;
import dev.lmforge.workflows.stage.DataStageConfig;
import dev.lmforge.workflows.stage.RawDump;
import dev.lmforge.workflows.stage.Stage;
import dev.lmforge.workflows.stage.StageFailures;
import dev.lmforge.workflows.stage.StageInput;
import dev.lmforge.workflows.stage.StageOutput;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.temporal.activity.Activity;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The data stage's activities on a compute worker; see {@link DataStage}. */
public final class DataStageActivities implements DataStage {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String S3_SCHEME = "s3://";
    private static final String RAW_DUMP = "raw-dump";
    private final StageRuntime runtime;

    public DataStageActivities(StageRuntime runtime) {
        this.runtime = runtime;
    }

    /**
     * Stores every source file as a {@code raw-dump} artifact. Every source and every file found in a source
     * folder is checked against the source roots before any is stored, so a refused path leaves nothing behind.
     */
    @Override
    public List<RawDump> snapshotSources(String runId, List<CorpusSource> sources) {
        try {
            List<PendingSnapshot> snapshots = new ArrayList<>();
            List<RawDump> dumps = new ArrayList<>();
            for (int i = 0; i < sources.size(); i++) {
                CorpusSource source = sources.get(i);
                String field = "corpus.sources[" + i + "].path";
                if (SourceRoots.isS3(source.path())) {
                    snapshots.addAll(snapshotsS3(runId, source, field, dumps));
                } else {
                    snapshots.addAll(snapshotsLocal(runId, source, field, dumps));
                }
            }
            long pathBytes = snapshots.stream().mapToLong(s -> s.path().getBytes(StandardCharsets.UTF_8).length).sum();
            Optional<String> tooMany = DataSettings.tooManyFiles(snapshots.size(), pathBytes);
            if (tooMany.isPresent()) {
                throw new InvalidInputException(tooMany.get());
            }
            snapshots.forEach(s -> s.store().run());
            return dumps;
        } catch (InvalidInputException e) {
            throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), StageFailures.INVALID_INPUT);
        }
    }

    /** A source file found and checked, to be stored once every file is known to fit the stage's caps. */
    private record PendingSnapshot(String path, Runnable store) {
    }

    private List<PendingSnapshot> snapshotsLocal(String runId, CorpusSource source, String field, List<RawDump> dumps) {
        Path path = runtime.readable(runId, field, Path.of(source.path()));
        List<Path> files;
        try {
            files = CorpusReader.expand(List.of(path));
        } catch (IOException e) {
            throw Activity.wrap(e);
        }
        List<PendingSnapshot> snapshots = new ArrayList<>();
        for (Path file : files) {
            Path real = runtime.readable(runId, field, file);
            if (!Files.isRegularFile(real)) {
                throw new InvalidInputException(field + ": " + real + " is not a regular file");
            }
            snapshots.add(new PendingSnapshot(file.toString(), () -> {
                try (InputStream in = runtime.open(runId, field, real)) {
                    record(source, file.toString(), runtime.store(in, file.getFileName().toString(), RAW_DUMP,
                            snapshotOf(runId)), dumps);
                } catch (IOException e) {
                    throw Activity.wrap(e);
                }
            }));
        }
        return snapshots;
    }

    /** {@code s3://bucket/prefix} on the configured S3 service: every readable object under the prefix. */
    private List<PendingSnapshot> snapshotsS3(String runId, CorpusSource source, String field, List<RawDump> dumps) {
        runtime.readableS3(runId, field, source.path());
        String rest = source.path().substring(S3_SCHEME.length());
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String prefix = slash < 0 ? "" : rest.substring(slash + 1);
        List<ArtifactStore.ExternalObject> objects = runtime.artifacts().list(bucket, prefix).stream()
                .filter(o -> CorpusReader.readable(Path.of(o.key()))).toList();
        if (objects.isEmpty()) {
            throw new InvalidInputException(field + ": no readable objects (.jsonl, .json, .txt, optionally .gz or "
                    + ".zst) under " + source.path());
        }
        List<PendingSnapshot> snapshots = new ArrayList<>();
        for (ArtifactStore.ExternalObject object : objects) {
            String location = S3_SCHEME + bucket + "/" + object.key();
            runtime.readableS3(runId, field, location);
            snapshots.add(new PendingSnapshot(location,
                    () -> record(source, location, runtime.store(object, RAW_DUMP, snapshotOf(runId)), dumps)));
        }
        return snapshots;
    }

    /** A snapshot's writer: the data stage of {@code runId}, before that stage has a row (its inputs decide it). */
    private static Producer snapshotOf(String runId) {
        return new Producer(runId, Stage.DATA.id(), null);
    }

    private void record(CorpusSource source, String path, ArtifactStore.StoredObject stored, List<RawDump> dumps) {
        String dump = source.dump() != null ? source.dump() : CorpusReader.defaultDump(Path.of(path));
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("path", path);
        metadata.put("dump", dump);
        metadata.put("domain", source.domain());
        metadata.put("lang", source.lang());
        runtime.ledger().artifacts().recordArtifact(stored.digest(), RAW_DUMP, stored.sizeBytes(), LedgerJson.toJson(metadata));
        dumps.add(new RawDump(new ArtifactRef(stored.digest(), RAW_DUMP, stored.sizeBytes()), path, dump,
                source.domain(), source.lang()));
        Activity.getExecutionContext().heartbeat(dumps.size());
    }

    @Override
    public StageOutput data(StageInput input) {
        DataStageConfig config = JSON.convertValue(input.config(), DataStageConfig.class);
        if (config.dumps().isEmpty()) {
            throw ApplicationFailure.newNonRetryableFailure("corpus.sources: no readable corpus files were found",
                    StageFailures.INVALID_INPUT);
        }
        return StageContext.run(runtime, input, CorpusIngest.Checkpoint.class,
                context -> new CorpusIngest(context, config, DataConfig.defaults().reading()).run());
    }
}
