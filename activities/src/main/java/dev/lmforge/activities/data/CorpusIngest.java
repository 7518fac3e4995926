package dev.lmforge.activities.data;

import dev.lmforge.activities.text.ReadingLimits;
import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.ReadBudget;
import dev.lmforge.activities.StageContext;
import dev.lmforge.activities.text.CorpusManifest;
import dev.lmforge.activities.text.CorpusReader;
import dev.lmforge.activities.text.ReadError;
import dev.lmforge.activities.text.ReadStats;
import dev.lmforge.activities.text.TooManyInputErrorsException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.activities.text.CorpusManifest.Part;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.DataStageConfig;
import dev.lmforge.workflows.stage.Outputs;
import dev.lmforge.workflows.stage.RawDump;
import dev.lmforge.workflows.stage.StageOutput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The data stage's ingest: reads each raw dump (verified from the artifact store) with {@link CorpusReader}, the
 * spec's dump, domain and language filling in what records lack, and writes its documents as one normalised
 * JSONL part ({@code id, text, dump, domain, lang}, then the record's other fields). Each finished part is
 * heartbeated as the checkpoint, so a retry on another worker skips the parts already stored.
 */
final class CorpusIngest {

    /** One finished part with what reading its dump found; errors name the source file. */
    record Ingested(Part part, ReadStats reading) {
    }

    /** The checkpoint: the parts finished so far, in input order. */
    record Checkpoint(List<Ingested> parts) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long HEARTBEAT_NANOS = 1_000_000_000L;

    private final StageContext context;
    private final DataStageConfig config;
    private final ReadingLimits limits;
    private final Long maxBytesPerSecond;
    /** What this attempt may still read, over all its dumps. */
    private final ReadBudget budget;

    CorpusIngest(StageContext context, DataStageConfig config, ReadingLimits limits) {
        this.context = context;
        this.config = config;
        this.limits = limits;
        this.maxBytesPerSecond = config.options() == null ? null : config.options().maxBytesPerSecond();
        this.budget = context.readBudget();
    }

    /** Ingests every dump not in the checkpoint; returns all parts in input order, refusing a corpus of none. */
    List<Ingested> ingest() throws IOException {
        List<Ingested> parts = new ArrayList<>(context.checkpoint(Checkpoint.class).map(Checkpoint::parts).orElse(List.of()));
        for (int i = parts.size(); i < config.dumps().size(); i++) {
            parts.add(ingest(DataStageConfig.inputName(i), config.dumps().get(i), parts));
            context.heartbeat(new Checkpoint(List.copyOf(parts)));
            context.metric("documents", i, parts.get(i).part().documents());
        }
        EmptyCorpus.requireRead(parts.stream().mapToLong(p -> p.part().documents()).sum(), parts.size(),
                parts.stream().mapToLong(p -> p.reading().errorCount()).sum());
        return parts;
    }

    /** Ingests every dump and stores the manifest of the parts: the stage's output before it fanned out. */
    StageOutput run() throws IOException {
        List<Ingested> ingested = ingest();
        List<Part> parts = ingested.stream().map(Ingested::part).toList();
        ReadStats read = ingested.stream().map(Ingested::reading).reduce(ReadStats.empty(), ReadStats::plus);
        CorpusManifest manifest = CorpusManifest.of(parts, read);
        ArtifactRef corpus = context.putArtifact(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest),
                "corpus", Map.of("documents", manifest.documents(), "textBytes", manifest.textBytes(), "parts", parts.size()));
        return new StageOutput(Map.of(Outputs.CORPUS, corpus), Map.of(
                "documents", (double) manifest.documents(), "textBytes", (double) manifest.textBytes(),
                "parts", (double) parts.size(), "errors", (double) manifest.errors()));
    }

    private Ingested ingest(String input, RawDump dump, List<Ingested> done) throws IOException {
        // CorpusReader tells formats apart by file name, so the verified download keeps the source's name.
        Path work = Files.createTempDirectory("lmforge-ingest");
        Path raw = work.resolve(Path.of(dump.path()).getFileName().toString());
        Path part = work.resolve("part.jsonl");
        try {
            context.artifacts().download(dump.artifact().digest(), raw);
            CorpusReader reader = new CorpusReader(limits, new CorpusReader.Defaults(dump.dump(), dump.domain(), dump.lang()),
                    budget);
            long[] written = new long[1];
            long started = System.nanoTime();
            long[] lastBeat = {started};
            ReadStats stats;
            try (JsonlWriter out = new JsonlWriter(part)) {
                stats = reader.read(raw, (doc, line) -> {
                    out.write(doc);
                    written[0] += doc.textBytes();
                    throttle(written[0], started, done);
                    if (System.nanoTime() - lastBeat[0] > HEARTBEAT_NANOS) {
                        context.heartbeat(new Checkpoint(List.copyOf(done)));
                        lastBeat[0] = System.nanoTime();
                    }
                });
                out.commit();
            }
            // Errors name the source, not this worker's temporary copy of it.
            stats = new ReadStats(stats.records(), stats.bytes(), stats.errorCount(), stats.errorKinds(),
                    stats.errors().stream().map(e -> new ReadError(dump.path(), e.line(), e.reason())).toList());
            try {
                stats.checkErrorRatio(limits.maxErrorRatio());
            } catch (TooManyInputErrorsException e) {
                throw new InvalidInputException("dump " + dump.path() + ": " + e.getMessage());
            }
            ArtifactRef stored = context.putArtifact(part, "corpus-part", Map.of("input", input, "dump", dump.dump(),
                    "documents", stats.records()));
            return new Ingested(new Part(input, dump.dump(), stored.digest(), stored.sizeBytes(), stats.records(),
                    stats.bytes(), stats.errorCount()), stats);
        } finally {
            Files.deleteIfExists(raw);
            Files.deleteIfExists(part);
            Files.deleteIfExists(work);
        }
    }

    /**
     * Sleeps while reading runs ahead of {@code data.maxBytesPerSecond}, a second at a time with a heartbeat after
     * each: a cancelled run, or an attempt that Temporal has given up on, stops here within seconds instead of
     * sleeping on beside its retry.
     */
    private void throttle(long bytes, long startedNanos, List<Ingested> done) {
        if (maxBytesPerSecond == null) {
            return;
        }
        long dueNanos = (long) (bytes * 1e9 / maxBytesPerSecond);
        for (long ahead = dueNanos - (System.nanoTime() - startedNanos); ahead > 0;
             ahead = dueNanos - (System.nanoTime() - startedNanos)) {
            try {
                Thread.sleep(Math.max(1, Math.min(ahead, HEARTBEAT_NANOS) / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while throttled", e);
            }
            context.heartbeat(new Checkpoint(List.copyOf(done)));
        }
    }
}
