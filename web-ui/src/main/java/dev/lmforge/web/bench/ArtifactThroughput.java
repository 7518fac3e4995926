package dev.lmforge.web.bench;

import dev.lmforge.infra.LocalStack;
import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.artifacts.Digests;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * {@code lmforge bench artifacts}, and the artifact part of {@code bench orchestration}: artifact put and get
 * (verified) throughput against a plain file copy of the same bytes on the same disk, in the same run, with the
 * SHA-256 pass alone beside them (a put hashes once, a get verifies once) and the peak heap of each. On its own it
 * runs against an S3Proxy of its own on a free port, in this JVM like the local stack's, so the peak heap is the
 * client's and the server's together. It prints figures; it asserts nothing.
 */
public final class ArtifactThroughput {

    private static final long MB = 1024 * 1024;

    /** An object size and how many times it is measured (the median is printed). */
    public record Size(long bytes, int repeats) {
    }

    /** Issue #16's sizes: a small object (setup-bound), a mid-sized one and a large one. */
    public static final List<Size> FULL = List.of(new Size(MB, 20), new Size(64 * MB, 3), new Size(1024 * MB, 1));
    /** For the test suite: seconds, and still an object of several parts (more than 8 MB). */
    public static final List<Size> SMOKE = List.of(new Size(MB, 2), new Size(20 * MB, 1));

    private ArtifactThroughput() {
    }

    /**
     * {@code lmforge bench artifacts [--smoke] [--mb N]...}: the {@link #FULL} sizes, the {@link #SMOKE} ones, or
     * those given in MB (each measured once), on a private S3Proxy under a throw-away folder.
     */
    public static void main(String... args) throws IOException {
        List<Size> sizes = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--smoke" -> sizes.addAll(SMOKE);
                case "--mb" -> {
                    if (i + 1 == args.length) {
                        throw new IllegalArgumentException("--mb: needs a size in MB");
                    }
                    sizes.add(new Size(Long.parseLong(args[++i]) * MB, 1));
                }
                default -> throw new IllegalArgumentException("usage: lmforge bench artifacts [--smoke] [--mb N]...");
            }
        }
        Path dir = Files.createTempDirectory("lmforge-bench-artifacts-");
        try {
            run(dir, sizes.isEmpty() ? FULL : sizes, System.out);
        } finally {
            deleteTree(dir);
        }
    }

    /** Starts an S3Proxy under {@code dir}, measures {@code sizes} against it, and stops it. */
    public static void run(Path dir, List<Size> sizes, PrintStream out) throws IOException {
        int port = LocalStack.freePort();
        try (LocalStack stack = LocalStack.start(new LocalStack.Options(dir.resolve("stack"), 0, port, "bench",
                "bench-secret", 0))) {
            ArtifactStore store = new ArtifactStore("http://127.0.0.1:" + port, "bench", "bench-secret", "us-east-1",
                    "bench");
            store.ensureBucket();
            out.printf("lmforge bench artifacts: %d cores, max heap %d MB; S3Proxy at 127.0.0.1:%d in this JVM%n",
                    Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() / MB, port);
            measure(store, Files.createDirectories(dir.resolve("files")), sizes, out);
        }
    }

    /** Prints one line per size: file copy, SHA-256 pass, put and get+verify (with ratios to the copy). */
    public static void measure(ArtifactStore store, Path dir, List<Size> sizes, PrintStream out) throws IOException {
        for (Size size : sizes) {
            measure(store, dir, size, out);
        }
    }

    private static void measure(ArtifactStore store, Path dir, Size size, PrintStream out) throws IOException {
        long bytes = size.bytes();
        List<Double> copy = new ArrayList<>();
        List<Double> hash = new ArrayList<>();
        List<Double> put = new ArrayList<>();
        List<Double> get = new ArrayList<>();
        long peakPut = 0;
        long peakGet = 0;
        try {
            for (int r = 0; r < size.repeats(); r++) {
                Path source = dir.resolve("source.bin");
                writeRandom(source, bytes, r);
                long t0 = System.nanoTime();
                Files.copy(source, dir.resolve("copy.bin"), StandardCopyOption.REPLACE_EXISTING);
                copy.add(mbPerSecond(bytes, t0));
                Files.delete(dir.resolve("copy.bin"));

                t0 = System.nanoTime();
                Digests.hash(source);
                hash.add(mbPerSecond(bytes, t0));

                resetPeaks();
                t0 = System.nanoTime();
                String digest = store.put(source).digest();
                put.add(mbPerSecond(bytes, t0));
                peakPut = Math.max(peakPut, peakHeap());

                resetPeaks();
                t0 = System.nanoTime();
                store.download(digest, dir.resolve("downloaded.bin"));
                get.add(mbPerSecond(bytes, t0));
                peakGet = Math.max(peakGet, peakHeap());
                Files.delete(dir.resolve("downloaded.bin"));
                store.delete(digest);   // the next repeat, and a rerun, uploads again instead of finding it
            }
        } finally {
            for (String name : List.of("source.bin", "copy.bin", "downloaded.bin")) {
                Files.deleteIfExists(dir.resolve(name));
            }
        }
        double base = OrchestrationBench.percentile(copy, 0.5);
        out.printf("artifacts %s: file copy %.0f MB/s; sha-256 pass %.0f MB/s (%.2f x copy); put %.0f MB/s "
                        + "(%.2f x copy, peak heap %d MB); get+verify %.0f MB/s (%.2f x copy, peak heap %d MB)%n",
                bytes >= 1024 * MB ? (bytes / 1024 / MB) + " GB" : (bytes / MB) + " MB", base,
                OrchestrationBench.percentile(hash, 0.5), OrchestrationBench.percentile(hash, 0.5) / base,
                OrchestrationBench.percentile(put, 0.5), OrchestrationBench.percentile(put, 0.5) / base,
                peakPut / MB, OrchestrationBench.percentile(get, 0.5), OrchestrationBench.percentile(get, 0.5) / base,
                peakGet / MB);
    }

    private static void writeRandom(Path file, long size, long seed) throws IOException {
        Random random = new Random(seed);
        byte[] block = new byte[(int) Math.min(size, 8 * MB)];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long written = 0; written < size; written += block.length) {
                random.nextBytes(block);
                out.write(block, 0, (int) Math.min(block.length, size - written));
            }
        }
    }

    private static double mbPerSecond(long bytes, long startNanos) {
        return bytes / (double) MB / ((System.nanoTime() - startNanos) / 1e9);
    }

    private static void resetPeaks() {
        System.gc();
        heapPools().forEach(MemoryPoolMXBean::resetPeakUsage);
    }

    /** The sum of the heap pools' peaks since the last reset: an upper bound of the heap in use. */
    private static long peakHeap() {
        return heapPools().stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
    }

    private static List<MemoryPoolMXBean> heapPools() {
        return ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP).toList();
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
