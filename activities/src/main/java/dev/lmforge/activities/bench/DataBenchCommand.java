package dev.lmforge.activities.bench;


import dev.lmforge.activities.WorkDirectory;
import dev.lmforge.activities.cli.Args;
import dev.lmforge.activities.cli.Command;
import dev.lmforge.activities.cli.DataCommand;
import dev.lmforge.activities.cli.Help;
import dev.lmforge.activities.data.DataConfig;
import dev.lmforge.activities.data.DataPipeline;
import dev.lmforge.activities.data.DataReport;
import dev.lmforge.activities.data.ExactDeduplicator;
import dev.lmforge.activities.data.MinHashDeduplicator;
import dev.lmforge.activities.data.Shingler;
import dev.lmforge.activities.data.SyntheticCorpus;
import dev.lmforge.activities.text.CorpusReader;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code lmforge bench data [--size-mb N] [--dir DIR] [--partitions P] [--json]}: generates a corpus of four dumps
 * with planted duplicates (by default four times the heap, at most 1 GB), then measures per core (bytes over the
 * thread's CPU time): exact and MinHash deduplication throughput, the whole pipeline's throughput against reading
 * and SHA-256 hashing the same bytes, and the pipeline's peak heap. Run it with a small heap to show that memory
 * does not grow with the corpus: {@code JAVA_OPTS=-Xmx64m lmforge bench data} generates 256 MB. Its smoke run is
 * {@code DataBenchCommandTest}.
 *
 * <p>{@code lmforge bench data --against datatrove [--sample DIR] [--size-mb N]} instead compares lmforge's MinHash
 * deduplication with datatrove's and datasketch's (see {@link DedupComparison}) on the bundled sample corpus
 * ({@code samples/corpus}, with its {@code planted.tsv}) and on a generated corpus of {@code N} MB (1 GB by default)
 * with planted exact and near copies, and ends with one {@code peer ...} line per comparison. If the peers cannot be
 * installed it says why and prints lmforge's figures alone.
 */
public final class DataBenchCommand implements Command {

    private static final double MB = 1 << 20;
    private static final long KERNEL_SAMPLE_BYTES = 16L << 20;

    @Override
    public String name() {
        return "bench-data";
    }

    @Override
    public String summary() {
        return "measure dedup and data pipeline throughput (MB/s per core) and peak heap on a generated corpus";
    }

    @Override
    public Help help() {
        return Help.of("Generates a corpus of four dumps with planted duplicates (by default four times the heap, at "
                + "most 1 GB) and measures per core exact and MinHash deduplication, the whole pipeline against reading "
                + "and hashing the same bytes, and the pipeline's peak heap.")
                .usage("bench data [--size-mb N] [--dir DIR] [--partitions P] [--json]")
                .option("--size-mb N", "the corpus size in MB")
                .option("--dir DIR", "where the corpus goes (kept; default a temporary folder, removed)")
                .option("--partitions P", "deduplication partitions (default 4)")
                .option("--json", "the figures as JSON")
                .example("JAVA_OPTS=-Xmx64m lmforge bench data");
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        args.allowOnly("size-mb", "dir", "partitions", "json", "against", "sample");
        if (args.has("against")) {
            return against(args, out, err);
        }
        long heap = Runtime.getRuntime().maxMemory();
        // Four times the heap by default, within [32 MB, 1 GB] so that a default-sized heap does not fill the disk.
        long sizeBytes = (long) (args.getDouble("size-mb", Math.min(1024, Math.max(32, 4 * heap / MB))) * MB);
        DataConfig config = DataConfig.defaults().withPartitions((int) args.getLong("partitions", 4));
        Path dir = args.has("dir") ? Files.createDirectories(Path.of(args.require("dir")))
                : Files.createTempDirectory("lmforge-bench-data");
        try {
            err.printf("generating %.0f MB in %s ...%n", sizeBytes / MB, dir);
            List<SyntheticCorpus.Dump> dumps = new SyntheticCorpus(7).writeDumps(dir.resolve("in"), 4, sizeBytes / 4, 0.15, 0.15);
            List<Path> files = dumps.stream().map(SyntheticCorpus.Dump::file).toList();
            long fileBytes = 0;
            for (Path f : files) {
                fileBytes += Files.size(f);
            }
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("cores", Runtime.getRuntime().availableProcessors());
            figures.put("maxHeapMB", heap / MB);
            figures.put("corpusMB", fileBytes / MB);

            long c0 = cpuNanos();
            readAndHash(files);
            double hashSeconds = (cpuNanos() - c0) / 1e9;
            figures.put("readSha256MBps", fileBytes / MB / hashSeconds);

            List<String> sample = sample(files, config);
            long sampleBytes = sample.stream().mapToLong(t -> t.getBytes(StandardCharsets.UTF_8).length).sum();
            MinHashDeduplicator minHash = new MinHashDeduplicator(config.dedup());
            for (int round = 0; round < 2; round++) {   // the first round warms the JIT up
                long t0 = cpuNanos();
                ExactDeduplicator exact = new ExactDeduplicator();
                sample.forEach(exact::firstSeen);
                long t1 = cpuNanos();
                for (String text : sample) {
                    int[] sig = minHash.signature(Shingler.normalize(text));
                    if (sig != null) {
                        minHash.bandKeys(sig);
                    }
                }
                long t2 = cpuNanos();
                figures.put("exactDedupMBps", sampleBytes / MB / ((t1 - t0) / 1e9));
                figures.put("minHashMBps", sampleBytes / MB / ((t2 - t1) / 1e9));
            }
            sample.clear();

            System.gc();
            HeapSampler heapSampler = new HeapSampler();
            long t0 = cpuNanos();
            long w0 = System.nanoTime();
            DataReport report = new DataPipeline(config).run(files, dir.resolve("out"));
            double pipelineSeconds = (cpuNanos() - t0) / 1e9;
            long peak = heapSampler.stop();
            figures.put("pipelineWallSeconds", (System.nanoTime() - w0) / 1e9);
            figures.put("pipelineCpuSeconds", pipelineSeconds);
            figures.put("pipelineMBps", fileBytes / MB / pipelineSeconds);
            figures.put("pipelineToReadSha256", hashSeconds / pipelineSeconds);
            figures.put("peakHeapMB", peak / MB);
            figures.put("corpusToMaxHeap", fileBytes / (double) heap);
            if (fileBytes < 2 * heap) {
                err.println("note: the corpus is not much larger than the heap; run with JAVA_OPTS=-Xmx64m to show streaming");
            }
            long planted = dumps.stream().mapToLong(SyntheticCorpus.Dump::duplicatesAnywhere).sum();
            figures.put("duplicatesPlanted", planted);
            figures.put("duplicatesRemoved", report.dedup().overall().removedAcrossDumps());

            if (args.has("json")) {
                out.println(DataCommand.JSON.writeValueAsString(figures));
            } else {
                figures.forEach((k, v) -> out.printf("%-22s %s%n", k, v instanceof Double d ? String.format("%.4g", d) : v));
                out.println("(MB/s per core: bytes over this thread's CPU time; pipelineToReadSha256 = pipeline MB/s / read+SHA-256 MB/s)");
            }
            return 0;
        } finally {
            if (!args.has("dir")) {
                WorkDirectory.delete(dir);
            }
        }
    }

    private static int against(Args args, PrintStream out, PrintStream err) throws Exception {
        if (!args.require("against").equals("datatrove")) {
            throw new Args.UsageException("--against: only 'datatrove' (with datasketch) is known, got '"
                + args.require("against") + "'");
        }
        if (args.has("json")) {
            throw new Args.UsageException("--json: not with --against, whose figures are lines of text");
        }
        long sizeBytes = (long) (args.getDouble("size-mb", 1024) * MB);
        Path sample = Path.of(args.has("sample") ? args.require("sample") : "samples/corpus");
        DataConfig config = DataConfig.defaults().withPartitions((int) args.getLong("partitions", 4));
        PythonPeers peers;
        try {
            peers = PythonPeers.prepare(err);
        } catch (PythonPeers.PeerUnavailable e) {
            out.println("peer datatrove, datasketch: unavailable, lmforge's figures only: " + e.getMessage());
            peers = null;
        }
        out.printf("cores: %d available; every side on one thread%n", Runtime.getRuntime().availableProcessors());
        Path dir = args.has("dir") ? Files.createDirectories(Path.of(args.require("dir")))
                : Files.createTempDirectory("lmforge-bench-data");
        try {
            DedupComparison comparison = new DedupComparison(config, out);
            List<String> lines = new ArrayList<>();
            if (Files.isRegularFile(sample.resolve("planted.tsv"))) {
                List<Path> dumps;
                try (var listed = Files.list(sample)) {
                    dumps = listed.filter(p -> p.getFileName().toString().startsWith("dump-")).sorted().toList();
                }
                lines.addAll(comparison.compare("sample", dumps, sample.resolve("planted.tsv"), dir.resolve("sample"), peers));
            } else {
                out.println("no sample corpus at " + sample + " (no planted.tsv there): generated corpus only");
            }
            err.printf("generating %.0f MB in %s ...%n", sizeBytes / MB, dir);
            Path planted = dir.resolve("planted.tsv");
            List<Path> files = new SyntheticCorpus(7).writeDumps(dir.resolve("in"), 4, sizeBytes / 4, 0.15, 0.15, planted)
                .stream().map(SyntheticCorpus.Dump::file).toList();
            lines.addAll(comparison.compare("generated", files, planted, dir.resolve("generated"), peers));
            lines.forEach(out::println);
            return 0;
        } finally {
            if (!args.has("dir")) {
                WorkDirectory.delete(dir);
            }
        }
    }

    /** Samples the heap in use every 5 ms, from construction to {@link #stop}, and keeps the largest value. */
    private static final class HeapSampler {
        private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        private final Thread thread;
        private volatile boolean running = true;
        private volatile long peak;

        HeapSampler() {
            thread = new Thread(() -> {
                while (running) {
                    peak = Math.max(peak, memory.getHeapMemoryUsage().getUsed());
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "heap-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        long stop() throws InterruptedException {
            running = false;
            thread.join();
            return peak;
        }
    }

    /**
     * CPU time of this thread: throughput per core, whatever else the machine runs. The pipeline is single-threaded
     * (its steps fan out across workers, not threads).
     */
    private static long cpuNanos() {
        return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    }

    /** Reads every file and SHA-256s its bytes, as {@code sha256sum} does. */
    private static void readAndHash(List<Path> files) throws Exception {
        byte[] buffer = new byte[1 << 16];
        for (Path f : files) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            try (InputStream in = Files.newInputStream(f)) {
                for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                    sha.update(buffer, 0, n);
                }
            }
            sha.digest();
        }
    }

    /** The first documents of the first dump, up to {@link #KERNEL_SAMPLE_BYTES}, held in memory. */
    private static List<String> sample(List<Path> files, DataConfig config) throws Exception {
        List<String> texts = new ArrayList<>();
        long[] bytes = {0};
        new CorpusReader(config.reading()).read(files.get(0), (doc, line) -> {
            if (bytes[0] < KERNEL_SAMPLE_BYTES) {
                texts.add(doc.text());
                bytes[0] += doc.text().length();
            }
        });
        return texts;
    }
}
