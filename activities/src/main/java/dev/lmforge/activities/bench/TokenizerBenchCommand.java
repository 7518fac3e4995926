package dev.lmforge.activities.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.activities.WorkDirectory;
import dev.lmforge.activities.cli.Args;
import dev.lmforge.activities.cli.Command;
import dev.lmforge.activities.cli.Help;
import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.text.CorpusReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * {@code lmforge bench tokenizer [--against hf]}: trains a tokenizer on a corpus (32k ids by default) in a process
 * of its own (time and peak resident memory), then measures encode throughput in MB/s of UTF-8 text on one thread
 * and on all. With {@code --against hf} it runs the same on Hugging Face {@code tokenizers} (Rust, through its Python
 * binding, installed pinned by {@link PythonPeers}): the exported {@code tokenizer.json} on the same documents, per
 * document {@code encode} and {@code encode_batch} with {@code RAYON_NUM_THREADS=1}, {@code encode_batch} on all
 * threads, and its own {@code BpeTrainer} on the same documents and vocabulary size; it checks that both give
 * identical ids for every document (exit 1 at the first difference, naming the document and position), says how the
 * two trainers' merges differ, and ends with one {@code peer ...} line per comparison. If the peer cannot be
 * installed it says why and prints lmforge's figures alone.
 *
 * <p>Its smoke run is {@code TokenizerBenchCommandTest}.
 */
public final class TokenizerBenchCommand implements Command {

    private static final Path DEFAULT_CORPUS = Path.of("samples", "corpus");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PEER_SCRIPT = "hf_tokenizers_peer.py";
    private static final long PEER_MINUTES = 30;
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    @Override
    public String name() {
        return "bench-tokenizer";
    }

    @Override
    public String summary() {
        return "time tokenizer training and encode throughput, --against hf: Hugging Face tokenizers";
    }

    @Override
    public Help help() {
        return Help.of("Times tokenizer training, then encode throughput on one thread and on all, for lmforge and for "
                + "Hugging Face tokenizers on the same tokenizer.json and documents, and prints the ratios.")
                .usage("bench tokenizer [--corpus PATH]... [--vocab-size N] [--seconds S] [--threads N]")
                .option("--corpus PATH", "a corpus file or folder (repeatable; default samples/corpus)")
                .option("--vocab-size N", "the vocabulary to train (default 32000)")
                .option("--seconds S", "how long each encode measurement runs (default 3)")
                .option("--threads N", "threads for the parallel measurement (default all cores)")
                .example("lmforge bench tokenizer --vocab-size 8000");
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        args.allowOnly("corpus", "vocab-size", "seconds", "threads", "against");
        int vocabularySize = (int) args.getLong("vocab-size", 32_000);
        double seconds = args.getDouble("seconds", 3);
        int threads = (int) args.getLong("threads", Runtime.getRuntime().availableProcessors());
        String against = args.has("against") ? args.require("against") : null;
        if (against != null && !against.equals("hf")) {
            throw new Args.UsageException("--against: only 'hf' (Hugging Face tokenizers) is known, got '" + against + "'");
        }
        List<Path> files = corpusFiles(args);

        List<String> documents = new ArrayList<>();
        for (Path file : files) {
            CorpusReader.readText(file, (text, ends) -> documents.add(text));
        }
        long bytes = documents.stream().mapToLong(d -> d.getBytes(StandardCharsets.UTF_8).length).sum();
        out.printf("corpus: %d documents, %.1f MB, from %s%n", documents.size(), bytes / 1e6, files);
        out.printf("cores: %d available, %d threads used%n", Runtime.getRuntime().availableProcessors(), threads);

        Path dir = Files.createTempDirectory("bench-tokenizer");
        try {
            Path documentsFile = dir.resolve("documents.jsonl");
            try (BufferedWriter w = Files.newBufferedWriter(documentsFile)) {
                for (String d : documents) {
                    w.write(JSON.writeValueAsString(Map.of("text", d)));
                    w.newLine();
                }
            }
            JsonNode training = TokenizerTrainingProcess.run(vocabularySize, documentsFile, dir.resolve("lmforge"));
            BpeTokenizer ours = BpeTokenizer.load(Path.of(training.get("tokenizer").asText()));
            out.printf("train %d ids: %.2f s (counting %.2f s, %d merges %.2f s), %d distinct pieces, peak RSS %.0f MB%n",
                ours.vocabularySize(), training.get("seconds").asDouble(), training.get("countingSeconds").asDouble(),
                ours.mergeCount(), training.get("mergingSeconds").asDouble(), training.get("distinctPieces").asLong(),
                training.get("peakRssBytes").asDouble() / 1e6);
            long tokens = documents.stream().mapToLong(d -> ours.encode(d).length).sum();
            out.printf("compression: %.2f bytes per token%n", (double) bytes / tokens);

            Consumer<String> lmforge = ours::encode;
            // One thread: bytes per CPU second, the per-core figure; all threads: bytes per wall second.
            double ours1 = throughput(documents, lmforge, 1, seconds).cpuMBps();
            double oursN = throughput(documents, lmforge, threads, seconds).wallMBps();
            out.printf("encode, 1 thread:   lmforge %7.1f MB per CPU second%n", ours1);
            out.printf("encode, %d threads: lmforge %7.1f MB/s%n", threads, oursN);
            if (against == null) {
                return 0;
            }

            PythonPeers peers;
            try {
                peers = PythonPeers.prepare(err);
            } catch (PythonPeers.PeerUnavailable e) {
                out.println("peer hf: unavailable, lmforge's figures only: " + e.getMessage());
                return 0;
            }
            Path tokenizerJson = Path.of(training.get("tokenizer").asText());
            Path ids = dir.resolve("hf-ids.bin");
            List<String> encode = List.of("encode", "--tokenizer", tokenizerJson.toString(),
                "--documents", documentsFile.toString(), "--seconds", Double.toString(seconds));
            JsonNode hf1 = peers.run(PEER_SCRIPT, concat(encode, "--ids", ids.toString(), "--per-document"),
                Map.of("RAYON_NUM_THREADS", "1"), PEER_MINUTES);
            String mismatch = firstMismatch(ours, documents, ids);
            if (mismatch != null) {
                err.println("bench-tokenizer: lmforge and Hugging Face tokenizers disagree: " + mismatch);
                out.println("ids differ: " + mismatch);
                return 1;
            }
            out.printf("ids: identical for all %d documents (%d tokens)%n", documents.size(), tokens);
            JsonNode hfN = peers.run(PEER_SCRIPT, encode, Map.of("RAYON_NUM_THREADS", Integer.toString(threads)), PEER_MINUTES);

            List<String> train = List.of("train", "--tokenizer", tokenizerJson.toString(), "--documents",
                documentsFile.toString(), "--vocab-size", Integer.toString(vocabularySize));
            JsonNode hfTrain1 = peers.run(PEER_SCRIPT, concat(train, "--out", dir.resolve("hf-1.json").toString()),
                Map.of("RAYON_NUM_THREADS", "1"), PEER_MINUTES);
            JsonNode hfTrainN = peers.run(PEER_SCRIPT, concat(train, "--out", dir.resolve("hf-n.json").toString()),
                Map.of("RAYON_NUM_THREADS", Integer.toString(threads)), PEER_MINUTES);
            out.println("merges: " + mergeDifference(tokenizerJson, dir.resolve("hf-1.json")));

            double lmforgeRss = training.get("peakRssBytes").asDouble() / 1e6;
            double lmforgeTrain = training.get("seconds").asDouble();
            double lmforgeTrainCpu = training.get("cpuSeconds").asDouble();
            out.println(PeerLine.format("encode, 1 thread, per document", ours1, "hf encode",
                hf1.get("perDocumentCpuMBps").asDouble(), "MB/CPU s"));
            out.println(PeerLine.format("encode, 1 thread, batch", ours1, "hf encode_batch",
                hf1.get("batchCpuMBps").asDouble(), "MB/CPU s"));
            out.println(PeerLine.format("encode, " + threads + " threads", oursN, "hf encode_batch", hfN.get("batchMBps").asDouble(), "MB/s"));
            out.println(PeerLine.format("train " + vocabularySize + " ids, hf on 1 thread", lmforgeTrainCpu, "hf",
                hfTrain1.get("cpuSeconds").asDouble(), "CPU s"));
            out.println(PeerLine.format("train " + vocabularySize + " ids, hf on " + threads + " threads", lmforgeTrain, "hf",
                hfTrainN.get("seconds").asDouble(), "s"));
            out.println(PeerLine.format("train peak RSS", lmforgeRss, "hf", hfTrain1.get("peakRssBytes").asDouble() / 1e6, "MB"));
            return 0;
        } finally {
            WorkDirectory.delete(dir);
        }
    }

    /**
     * How the two trainers' merges differ: how many lead in the same order, and how many of each are in the other.
     * Both count the same pre-tokenized pieces and take the most frequent pair; both break a tie by the smaller pair
     * of ids, but the ids differ (lmforge numbers the 256 bytes in byte order, tokenizers its initial alphabet in its
     * own order, and each numbers merged tokens as it learns them), so tied pairs can go either way, and after the first
     * different merge the later counts differ too.
     */
    static String mergeDifference(Path lmforgeJson, Path peerJson) throws IOException {
        List<String> mine = merges(lmforgeJson);
        List<String> theirs = merges(peerJson);
        int same = 0;
        while (same < Math.min(mine.size(), theirs.size()) && mine.get(same).equals(theirs.get(same))) {
            same++;
        }
        HashSet<String> theirSet = new HashSet<>(theirs);
        long shared = mine.stream().filter(theirSet::contains).count();
        return String.format("lmforge %d, hf %d; the first %d are the same in the same order, %d of lmforge's are"
            + " among hf's (%.1f %%)", mine.size(), theirs.size(), same, shared, 100.0 * shared / Math.max(1, mine.size()));
    }

    /** A tokenizer.json's merges as "left right" strings, whichever of the two forms the file uses. */
    private static List<String> merges(Path tokenizerJson) throws IOException {
        List<String> merges = new ArrayList<>();
        for (JsonNode m : JSON.readTree(tokenizerJson.toFile()).path("model").path("merges")) {
            merges.add(m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText());
        }
        return merges;
    }

    private static List<String> concat(List<String> first, String... more) {
        List<String> all = new ArrayList<>(first);
        all.addAll(List.of(more));
        return all;
    }

    /**
     * The first document whose ids differ from the peer's (written as, per document, a count and the ids, 32-bit
     * little-endian), named by index and token position with a short escaped prefix of its text; null when none.
     */
    static String firstMismatch(BpeTokenizer ours, List<String> documents, Path peerIds) throws IOException {
        ByteBuffer theirs = ByteBuffer.wrap(Files.readAllBytes(peerIds)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < documents.size(); i++) {
            // Hugging Face always turns special token content into special tokens; lmforge does when asked.
            int[] mine = ours.encodeWithSpecialTokens(documents.get(i));
            if (theirs.remaining() < 4) {
                return "the peer's ids end before document " + i;
            }
            int count = theirs.getInt();
            for (int p = 0; p < Math.max(count, mine.length); p++) {
                int their = p < count ? theirs.getInt() : -1;
                if (p >= mine.length || p >= count || mine[p] != their) {
                    String text = documents.get(i);
                    String prefix = text.substring(0, Math.min(text.length(), 40))
                        .replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t");
                    return String.format("document %d, token %d: lmforge %s, hf %s (%d and %d tokens; text starts \"%s\")",
                        i, p, p < mine.length ? mine[p] : "none", p < count ? their : "none", mine.length, count, prefix);
                }
            }
        }
        return theirs.hasRemaining() ? "the peer wrote ids past the last document" : null;
    }

    private static List<Path> corpusFiles(Args args) throws Exception {
        List<String> given = args.values("corpus");
        if (!given.isEmpty()) {
            return given.stream().map(Path::of).toList();
        }
        if (!Files.isDirectory(DEFAULT_CORPUS)) {
            throw new Args.UsageException("no --corpus given and no " + DEFAULT_CORPUS + " directory here");
        }
        try (Stream<Path> listed = Files.list(DEFAULT_CORPUS)) {
            return listed.filter(p -> p.getFileName().toString().startsWith("dump-")).sorted().toList();
        }
    }

    /**
     * MB/s of encoding the documents round-robin on {@code threads} threads for {@code seconds}, after a warm-up
     * pass: over the wall clock, and over the CPU time of the encoding threads (bytes per CPU second, which a
     * machine busy with other work disturbs far less).
     */
    record Rate(double wallMBps, double cpuMBps) {
    }

    private static Rate throughput(List<String> documents, Consumer<String> encode, int threads,
                                     double seconds) throws Exception {
        long[] sizes = documents.stream().mapToLong(d -> d.getBytes(StandardCharsets.UTF_8).length).toArray();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> warmUp = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                warmUp.add(pool.submit(() -> documents.forEach(encode)));
            }
            for (Future<?> f : warmUp) {
                f.get();
            }
            long deadline = System.nanoTime() + (long) (seconds * 1e9);
            long begin = System.nanoTime();
            List<Future<long[]>> work = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t * documents.size() / threads;
                work.add(pool.submit(() -> {
                    long cpu = CPU.getCurrentThreadCpuTime();
                    long done = 0;
                    for (int i = first; System.nanoTime() < deadline; i = (i + 1) % documents.size()) {
                        encode.accept(documents.get(i));
                        done += sizes[i];
                    }
                    return new long[] {done, CPU.getCurrentThreadCpuTime() - cpu};
                }));
            }
            long done = 0;
            long cpuNanos = 0;
            for (Future<long[]> f : work) {
                done += f.get()[0];
                cpuNanos += f.get()[1];
            }
            return new Rate(done / ((System.nanoTime() - begin) / 1e3), done / (cpuNanos / 1e3));
        } finally {
            pool.shutdown();
        }
    }

    /** Runs the bench from the test classpath: {@code java -cp ... TokenizerBenchCommand [options]}. */
    public static void main(String[] words) throws Exception {
        try {
            System.exit(new TokenizerBenchCommand().run(Args.parse(List.of(words)), System.out, System.err));
        } catch (Args.UsageException e) {
            System.err.println("bench-tokenizer: " + e.getMessage());
            System.exit(2);
        }
    }
}
