package dev.lmforge.activities.data;

import dev.lmforge.activities.StageContext;
import dev.lmforge.activities.StageRuntime;
import dev.lmforge.services.ledger.MetadataStore;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.CorpusSource;
import dev.lmforge.workflows.stage.DataStage;
import dev.lmforge.workflows.stage.DataStageConfig;
import dev.lmforge.workflows.stage.RawDump;
import dev.lmforge.workflows.stage.StageFailures;
import dev.lmforge.workflows.stage.StageInput;
import dev.lmforge.workflows.stage.StageOutput;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.temporal.activity.Activity;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The data stage's activities on a compute worker; see {@link DataStage}. */
public final class DataStageActivities implements DataStage {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final StageRuntime runtime;

    public DataStageActivities(StageRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public List<RawDump> snapshotSources(String runId, List<CorpusSource> sources) {
        List<RawDump> dumps = new ArrayList<>();
        for (int i = 0; i < sources.size(); i++) {
            CorpusSource source = sources.get(i);
            Path path = Path.of(source.path());
            if (!Files.exists(path)) {
                throw ApplicationFailure.newNonRetryableFailure("corpus.sources[" + i + "].path: no such file or folder: "
                        + path.toAbsolutePath(), StageFailures.INVALID_INPUT);
            }
            List<Path> files;
            try {
                files = CorpusReader.expand(List.of(path));
            } catch (IOException e) {
                throw Activity.wrap(e);
            }
            for (Path file : files) {
                String dump = source.dump() != null ? source.dump() : CorpusReader.defaultDump(file);
                Map<String, Object> metadata = new LinkedHashMap<>();
                metadata.put("path", file.toString());
                metadata.put("dump", dump);
                metadata.put("domain", source.domain());
                metadata.put("lang", source.lang());
                var stored = runtime.artifacts().put(file);
                runtime.ledger().recordArtifact(stored.digest(), "raw-dump", stored.sizeBytes(), MetadataStore.toJson(metadata));
                dumps.add(new RawDump(new ArtifactRef(stored.digest(), "raw-dump", stored.sizeBytes()), file.toString(),
                        dump, source.domain(), source.lang()));
                Activity.getExecutionContext().heartbeat(dumps.size());
            }
        }
        return dumps;
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
