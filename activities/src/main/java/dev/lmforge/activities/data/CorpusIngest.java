package dev.lmforge.activities.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.StageContext;
import dev.lmforge.activities.data.CorpusManifest.Part;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.DataStageConfig;
import dev.lmforge.workflows.stage.RawDump;
import dev.lmforge.workflows.stage.StageOutput;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The data stage's ingest: reads each raw dump (verified from the artifact store) with {@link CorpusReader} and
 * writes its documents as one normalised JSONL part ({@code id, text, dump, domain, lang}); the stage's output
 * is a manifest of the parts with counts of documents and bytes. Each finished part is heartbeated as the
 * checkpoint, so a retry on another worker skips the parts already stored.
 */
final class CorpusIngest {

    /** The checkpoint: the parts finished so far, in input order. */
    record Checkpoint(List<Part> parts) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long HEARTBEAT_NANOS = 1_000_000_000L;

    private final StageContext context;
    private final DataStageConfig config;
    private final CorpusReader reader;
    private final Long maxBytesPerSecond;

    CorpusIngest(StageContext context, DataStageConfig config) {
        this.context = context;
        this.config = config;
        DataConfig.Reading defaults = DataConfig.defaults().reading();
        this.reader = new CorpusReader(defaults);
        this.maxBytesPerSecond = config.options() == null ? null : config.options().maxBytesPerSecond();
    }

    StageOutput run() throws IOException {
        List<Part> parts = new ArrayList<>(context.checkpoint(Checkpoint.class).map(Checkpoint::parts).orElse(List.of()));
        List<String> errors = new ArrayList<>();
        for (int i = parts.size(); i < config.dumps().size(); i++) {
            parts.add(ingest(DataStageConfig.inputName(i), config.dumps().get(i), parts, errors));
            context.heartbeat(new Checkpoint(List.copyOf(parts)));
            context.metric("documents", i, parts.get(i).documents());
        }
        long documents = parts.stream().mapToLong(Part::documents).sum();
        long textBytes = parts.stream().mapToLong(Part::textBytes).sum();
        long errorCount = parts.stream().mapToLong(Part::errors).sum();
        CorpusManifest manifest = new CorpusManifest(CorpusManifest.FORMAT, documents, textBytes, errorCount, errors, parts);
        ArtifactRef corpus = context.putArtifact(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest),
                "corpus", Map.of("documents", documents, "textBytes", textBytes, "parts", parts.size()));
        return new StageOutput(Map.of("corpus", corpus), Map.of(
                "documents", (double) documents, "textBytes", (double) textBytes,
                "parts", (double) parts.size(), "errors", (double) errorCount));
    }

    private Part ingest(String input, RawDump dump, List<Part> done, List<String> errors) throws IOException {
        // CorpusReader tells formats apart by file name, so the verified download keeps the source's name.
        Path work = Files.createTempDirectory("lmforge-ingest");
        Path raw = work.resolve(Path.of(dump.path()).getFileName().toString());
        Path part = work.resolve("part.jsonl");
        try {
            context.artifacts().download(dump.artifact().digest(), raw);
            long[] written = new long[1];
            long started = System.nanoTime();
            long[] lastBeat = {started};
            ReadStats stats;
            try (BufferedWriter out = Files.newBufferedWriter(part, StandardCharsets.UTF_8)) {
                stats = reader.read(raw, (doc, line) -> {
                    ObjectNode row = JSON.createObjectNode();
                    row.put("id", doc.id() != null ? doc.id() : dump.dump() + "/" + raw.getFileName() + ":" + line);
                    row.put("text", doc.text());
                    row.put("dump", doc.dump() != null ? doc.dump() : dump.dump());
                    row.put("domain", doc.domain() != null ? doc.domain() : dump.domain());
                    row.put("lang", doc.lang() != null ? doc.lang() : dump.lang());
                    out.write(JSON.writeValueAsString(row));
                    out.write('\n');
                    written[0] += doc.text().getBytes(StandardCharsets.UTF_8).length;
                    throttle(written[0], started);
                    if (System.nanoTime() - lastBeat[0] > HEARTBEAT_NANOS) {
                        context.heartbeat(new Checkpoint(List.copyOf(done)));
                        lastBeat[0] = System.nanoTime();
                    }
                });
            }
            stats.errors().stream().limit(20 - Math.min(20, errors.size()))
                    .forEach(e -> errors.add(dump.path() + ": " + e));
            try {
                stats.checkErrorRatio(DataConfig.defaults().reading().maxErrorRatio());
            } catch (TooManyInputErrorsException e) {
                throw new InvalidInputException("dump " + dump.path() + ": " + e.getMessage());
            }
            ArtifactRef stored = context.putArtifact(part, "corpus-part", Map.of("input", input, "dump", dump.dump(),
                    "documents", stats.records()));
            return new Part(input, dump.dump(), stored.digest(), stored.sizeBytes(), stats.records(), stats.bytes(),
                    stats.errorCount());
        } finally {
            Files.deleteIfExists(raw);
            Files.deleteIfExists(part);
            Files.deleteIfExists(work);
        }
    }

    /** Sleeps while reading runs ahead of {@code data.maxBytesPerSecond}. */
    private void throttle(long bytes, long startedNanos) {
        if (maxBytesPerSecond == null) {
            return;
        }
        long dueNanos = (long) (bytes * 1e9 / maxBytesPerSecond);
        long aheadMillis = (dueNanos - (System.nanoTime() - startedNanos)) / 1_000_000;
        if (aheadMillis > 0) {
            try {
                Thread.sleep(aheadMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while throttled", e);
            }
        }
    }
}
