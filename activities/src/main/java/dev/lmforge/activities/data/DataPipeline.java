package dev.lmforge.activities.data;

import dev.lmforge.activities.WorkDirectory;
import dev.lmforge.activities.text.CorpusReader;
import dev.lmforge.activities.text.ReadStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole data stage in one process: exact and near-duplicate removal across all inputs
 * ({@link ShuffleDeduplication}), quality filtering ({@link QualityFilter}) and remixing ({@link Remixer}).
 * Input {@code i} is shard {@code i}; output shard {@code i} is {@code part-0000i.jsonl}, next to
 * {@code duplicates.jsonl} (every duplicate cluster, the document kept and why). Every step streams
 * shard by shard, so memory grows with the duplicates found, not with the corpus.
 */
public final class DataPipeline {

    private final DataConfig config;

    public DataPipeline(DataConfig config) {
        this.config = config;
    }

    /** The output shard of input {@code shard}. */
    public static Path outputFile(Path outDir, int shard) {
        return outDir.resolve(String.format("part-%05d.jsonl", shard));
    }

    /** Every duplicate cluster with the document kept and why: one JSON line each. */
    public static Path duplicatesFile(Path outDir) {
        return outDir.resolve("duplicates.jsonl");
    }

    /** Runs every step over {@code inputs} (files or folders) into {@code outDir} and returns the report. */
    public DataReport run(List<Path> inputs, Path outDir) throws IOException {
        List<Path> files = CorpusReader.expand(inputs);
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no input files in " + inputs);
        }
        Files.createDirectories(outDir);
        Path work = Files.createTempDirectory(outDir, ".work-");
        try {
            ShuffleDeduplication.Run dedup = new ShuffleDeduplication(config).run(files, work, work.resolve("dedup"));
            ReadStats read = dedup.shards().stream().map(ShuffleDeduplication.ShardSummary::read)
                    .reduce(ReadStats.empty(), ReadStats::plus);
            EmptyCorpus.requireRead(read.records(), files.size(), read.errorCount());
            Files.move(dedup.clusters(), duplicatesFile(outDir),
                    StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            QualityFilter filter = new QualityFilter(config.quality());
            QualityFilter.Stats quality = QualityFilter.Stats.empty();
            List<Path> filtered = new ArrayList<>();
            for (int i = 0; i < files.size(); i++) {
                Path out = work.resolve("filtered").resolve(String.format("filtered-s%05d.jsonl", i));
                quality = quality.plus(filter.filterShard(dedup.survivors().get(i), out, config.reading()),
                        config.quality().rejectedSamples());
                filtered.add(out);
            }
            EmptyCorpus.requireFiltered(quality);
            Remixer remixer = new Remixer(config.remix());
            Remixer.Plan plan = remixer.plan(quality.mix());
            Mix after = Mix.empty();
            List<DataReport.Output> outputs = new ArrayList<>();
            for (int i = 0; i < files.size(); i++) {
                Remixer.Shard shard = remixer.remixShard(filtered.get(i), outputFile(outDir, i), plan, config.reading());
                after = after.plus(shard.mix());
                outputs.add(new DataReport.Output(outputFile(outDir, i).getFileName().toString(), shard.documents(),
                        shard.bytes(), shard.sha256()));
            }
            EmptyCorpus.requireRemixed(quality.kept(), after.summary().documents());
            Map<String, Long> steps = new LinkedHashMap<>();
            steps.put("read", read.records());
            steps.put("deduplicated", quality.input());
            steps.put("filtered", quality.kept());
            steps.put("remixed", after.summary().documents());
            return new DataReport(DataReport.FORMAT, files.stream().map(Path::toString).toList(), steps, read,
                    dedup.result(),
                    new DataReport.Quality(quality.input(), quality.kept(), quality.rejected(), quality.samples()),
                    new DataReport.Remix(quality.mix().summary(), after.summary(), plan.factors(), plan.notes()),
                    outputs, duplicatesFile(outDir).getFileName().toString(), config);
        } finally {
            WorkDirectory.delete(work);
        }
    }

}
