package dev.lmforge.services.outbox;

import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.ledger.Outbox;
import dev.lmforge.services.ledger.Records.ArtifactRecord;
import dev.lmforge.services.ledger.Records.RunRecord;
import dev.lmforge.services.ledger.Records.StageRecord;
import io.openlineage.client.OpenLineage;
import io.openlineage.client.OpenLineage.RunEvent.EventType;
import io.openlineage.client.OpenLineageClientUtils;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * lmforge's runs and stage executions as OpenLineage run events, built with the official client's model. The
 * lifecycle run is job {@code lifecycle}; each stage execution is job {@code lifecycle.<stage>} whose run id is
 * the stage row's id in UUID form and whose parent (and root) is the lifecycle run. Datasets are artifacts named by
 * digest, with the storage facet, a symlink to the S3 object and facet {@code lmforge_artifact} (kind, size, storage
 * URI, producing run); run facet {@code lmforge_stage} carries the cache key and whether the stage was reused, and
 * run facet {@code lmforge_progress} a running stage's progress on its RUNNING events after the first.
 */
public final class OpenLineageEvents {

    /** Who produced the events, as OpenLineage's {@code producer} field wants: a URI naming the code. */
    static final URI PRODUCER = URI.create("https://github.com/lmforge/lmforge");
    static final URI STAGE_FACET_SCHEMA = URI.create("https://github.com/lmforge/lmforge/blob/main/docs/openlineage/LmforgeStageRunFacet.json#/$defs/LmforgeStageRunFacet");
    static final URI PROGRESS_FACET_SCHEMA = URI.create("https://github.com/lmforge/lmforge/blob/main/docs/openlineage/LmforgeProgressRunFacet.json#/$defs/LmforgeProgressRunFacet");
    static final URI ARTIFACT_FACET_SCHEMA = URI.create("https://github.com/lmforge/lmforge/blob/main/docs/openlineage/LmforgeArtifactDatasetFacet.json#/$defs/LmforgeArtifactDatasetFacet");
    /** The job of the whole lifecycle run; stage jobs are named {@code lifecycle.<stage>}. */
    public static final String LIFECYCLE_JOB = "lifecycle";

    private final OpenLineage ol = new OpenLineage(PRODUCER);
    private final String namespace;
    private final String bucket;
    private final Function<String, Optional<ArtifactRecord>> artifacts;
    private final Function<String, Optional<Outbox.Producer>> producers;

    public OpenLineageEvents(String namespace, String bucket, Function<String, Optional<ArtifactRecord>> artifacts,
                             Function<String, Optional<Outbox.Producer>> producers) {
        this.namespace = namespace;
        this.bucket = bucket;
        this.artifacts = artifacts;
        this.producers = producers;
    }

    /** The run id of the lifecycle run {@code runId}: a name-based UUID, the same every time. */
    public UUID lifecycleRunId(String runId) {
        return uuid("run/" + runId);
    }

    /** The run id of stage row {@code stageRow}. */
    public UUID stageRunId(long stageRow) {
        return uuid("stage/" + stageRow);
    }

    private UUID uuid(String name) {
        return UUID.nameUUIDFromBytes(("lmforge/" + namespace + "/" + name).getBytes(StandardCharsets.UTF_8));
    }

    /** An event of the lifecycle run as JSON. */
    public String lifecycleEvent(RunRecord run, EventType type, Instant at) {
        OpenLineage.RunFacetsBuilder facets = ol.newRunFacetsBuilder()
                .processing_engine(ol.newProcessingEngineRunFacet("0.1.0", "lmforge", null));
        if (type == EventType.FAIL && run.error() != null) {
            facets.errorMessage(ol.newErrorMessageRunFacet(firstLine(run.error()), "java", null));
        }
        OpenLineage.RunEvent event = ol.newRunEventBuilder().eventType(type).eventTime(time(at))
                .run(ol.newRun(lifecycleRunId(run.id()), facets.build()))
                .job(job(LIFECYCLE_JOB, "LIFECYCLE"))
                .inputs(List.of()).outputs(List.of()).build();
        return OpenLineageClientUtils.toJson(event);
    }

    /**
     * An event of a stage execution as JSON: inputs always, outputs once it completed. {@code type} is what the
     * row's status maps to ({@link #typeOf}) or START/RUNNING.
     */
    public String stageEvent(StageRecord stage, EventType type, Instant at) {
        return stageEvent(stage, type, at, null);
    }

    private String stageEvent(StageRecord stage, EventType type, Instant at, OpenLineage.RunFacet progress) {
        UUID parent = lifecycleRunId(stage.runId());
        OpenLineage.RunFacetsBuilder facets = ol.newRunFacetsBuilder()
                .parent(ol.newParentRunFacet(ol.newParentRunFacetRun(parent, null),
                        ol.newParentRunFacetJob(namespace, LIFECYCLE_JOB, null),
                        ol.newParentRunFacetRoot(ol.newRootRun(parent, null), ol.newRootJob(namespace, LIFECYCLE_JOB, null))))
                .processing_engine(ol.newProcessingEngineRunFacet("0.1.0", "lmforge", null))
                .put("lmforge_stage", stageFacet(stage));
        if (progress != null) {
            facets.put("lmforge_progress", progress);
        }
        if ((type == EventType.FAIL || type == EventType.ABORT) && stage.error() != null) {
            facets.errorMessage(ol.newErrorMessageRunFacet(firstLine(stage.error()), "java", null));
        }
        List<OpenLineage.InputDataset> inputs = new ArrayList<>();
        stage.inputs().values().stream().distinct().forEach(d -> inputs.add(ol.newInputDatasetBuilder()
                .namespace(namespace).name(d).facets(datasetFacets(d)).build()));
        List<OpenLineage.OutputDataset> outputs = new ArrayList<>();
        if (type == EventType.COMPLETE) {
            stage.outputs().values().stream().distinct().forEach(d -> outputs.add(ol.newOutputDatasetBuilder()
                    .namespace(namespace).name(d).facets(datasetFacets(d)).build()));
        }
        OpenLineage.RunEvent event = ol.newRunEventBuilder().eventType(type).eventTime(time(at))
                .run(ol.newRun(stageRunId(stage.id()), facets.build()))
                .job(job(LIFECYCLE_JOB + "." + stage.stage(), "STAGE"))
                .inputs(inputs).outputs(outputs).build();
        return OpenLineageClientUtils.toJson(event);
    }

    /**
     * A running stage's progress as the ledger records it; null fields are unknown.
     *
     * @param sequence       1 for the row's first progress event, then 2, ...
     * @param step           the newest step of the stage's metric series
     * @param totalSteps     the steps the stage's plan asks for
     * @param tokens         tokens trained so far (steps times the plan's tokens per step), or a {@code tokens} series
     * @param loss           the newest value of series {@code loss}
     * @param elapsedSeconds since the stage row opened
     * @param latest         the newest value of each series, by name
     */
    public record Progress(int sequence, long step, Long totalSteps, Long tokens, Double loss, long elapsedSeconds,
                           Map<String, Double> latest) {
    }

    /** A RUNNING event of a stage execution carrying its progress (facet {@code lmforge_progress}). */
    public String progressEvent(StageRecord stage, Progress progress, Instant at) {
        OpenLineage.DefaultRunFacet facet = new OpenLineage.DefaultRunFacet(PRODUCER) {
            @Override
            public URI get_schemaURL() {
                return PROGRESS_FACET_SCHEMA;
            }
        };
        Map<String, Object> p = facet.getAdditionalProperties();
        p.put("sequence", progress.sequence());
        p.put("step", progress.step());
        if (progress.totalSteps() != null) {
            p.put("totalSteps", progress.totalSteps());
        }
        if (progress.tokens() != null) {
            p.put("tokens", progress.tokens());
        }
        if (progress.loss() != null) {
            p.put("loss", progress.loss());
        }
        p.put("elapsedSeconds", progress.elapsedSeconds());
        p.put("metrics", progress.latest());
        return stageEvent(stage, EventType.RUNNING, at, facet);
    }

    /** The event type that ends a stage row with {@code status}. */
    public static EventType typeOf(String status) {
        return switch (status) {
            case "SUCCEEDED", "REUSED" -> EventType.COMPLETE;
            case "CANCELLED" -> EventType.ABORT;
            default -> EventType.FAIL;
        };
    }

    private OpenLineage.Job job(String name, String jobType) {
        return ol.newJob(namespace, name, ol.newJobFacetsBuilder()
                .jobType(ol.newJobTypeJobFacet("BATCH", "LMFORGE", jobType, null)).build());
    }

    private OpenLineage.RunFacet stageFacet(StageRecord stage) {
        OpenLineage.DefaultRunFacet facet = new OpenLineage.DefaultRunFacet(PRODUCER) {
            @Override
            public URI get_schemaURL() {
                return STAGE_FACET_SCHEMA;
            }
        };
        Map<String, Object> p = facet.getAdditionalProperties();
        p.put("lmforgeRunId", stage.runId());
        p.put("stage", stage.stage());
        p.put("stageRow", stage.id());
        p.put("cacheKey", stage.cacheKey());
        p.put("codeVersion", stage.codeVersion());
        p.put("reused", stage.reusedFrom() != null);
        if (stage.reusedFrom() != null) {
            p.put("reusedFromStageRow", stage.reusedFrom());
            p.put("reusedFromRunId", stageRunId(stage.reusedFrom()).toString());
        }
        return facet;
    }

    private OpenLineage.DatasetFacets datasetFacets(String digest) {
        Optional<ArtifactRecord> artifact = artifacts.apply(digest);
        String key = ArtifactStore.keyOf(digest);
        String storageUri = "s3://" + bucket + "/" + key;
        OpenLineage.DefaultDatasetFacet facet = new OpenLineage.DefaultDatasetFacet(PRODUCER, null) {
            @Override
            public URI get_schemaURL() {
                return ARTIFACT_FACET_SCHEMA;
            }
        };
        Map<String, Object> p = facet.getAdditionalProperties();
        p.put("digest", digest);
        artifact.ifPresent(a -> {
            p.put("kind", a.kind());
            p.put("sizeBytes", a.sizeBytes());
        });
        p.put("storageUri", storageUri);
        producers.apply(digest).ifPresent(producer -> p.put("producedBy", Map.of(
                "runId", stageRunId(producer.stageRow()).toString(), "job", LIFECYCLE_JOB + "." + producer.stage(),
                "stageRow", producer.stageRow(), "lmforgeRunId", producer.runId())));
        return ol.newDatasetFacetsBuilder()
                .storage(ol.newStorageDatasetFacet("s3", artifact.map(ArtifactRecord::kind).orElse("unknown")))
                .symlinks(ol.newSymlinksDatasetFacet(List.of(ol.newSymlinksDatasetFacetIdentifiers("s3://" + bucket, key, "FILE"))))
                .put("lmforge_artifact", facet)
                .build();
    }

    private static ZonedDateTime time(Instant at) {
        return (at == null ? Instant.now() : at).atZone(ZoneOffset.UTC);
    }

    private static String firstLine(String error) {
        String line = error.lines().findFirst().orElse("");
        return line.length() <= 1000 ? line : line.substring(0, 1000) + "...";
    }
}
