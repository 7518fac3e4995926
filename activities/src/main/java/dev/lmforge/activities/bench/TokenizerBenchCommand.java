package dev.lmforge.activities.bench;

import dev.lmforge.activities.cli.Args;
import dev.lmforge.activities.cli.Command;
import dev.lmforge.activities.cli.Help;
import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.text.CorpusReader;
import dev.lmforge.activities.tokenizer.BpeTrainer;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * {@code lmforge bench tokenizer}: trains a tokenizer on a corpus (32k ids by default) and times it, then measures
 * encode throughput in MB/s of UTF-8 text, on one thread and on all, for lmforge and for the Hugging Face
 * tokenizers library (Rust, through DJL) running the same exported {@code tokenizer.json} on the same documents in
 * the same process, and prints the ratios. It also counts documents where the two disagree (expected: none).
 *
 * <p>Its smoke run is {@code TokenizerBenchCommandTest}.
 */
public final class TokenizerBenchCommand implements Command {

    private static final Path DEFAULT_CORPUS = Path.of("samples", "corpus");

    @Override
    public String name() {
        return "bench-tokenizer";
    }

    @Override
    public String summary() {
        return "time tokenizer training and encode throughput against Hugging Face tokenizers";
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
        args.allowOnly("corpus", "vocab-size", "seconds", "threads");
        int vocabularySize = (int) args.getLong("vocab-size", 32_000);
        double seconds = args.getDouble("seconds", 3);
        int threads = (int) args.getLong("threads", Runtime.getRuntime().availableProcessors());
        List<Path> files = corpusFiles(args);

        List<String> documents = new ArrayList<>();
        for (Path file : files) {
            CorpusReader.readText(file, (text, ends) -> documents.add(text));
        }
        long bytes = documents.stream().mapToLong(d -> d.getBytes(StandardCharsets.UTF_8).length).sum();
        out.printf("corpus: %d documents, %.1f MB, from %s%n", documents.size(), bytes / 1e6, files);
        out.printf("cores: %d available, %d threads used%n", Runtime.getRuntime().availableProcessors(), threads);

        long start = System.nanoTime();
        BpeTrainer trainer = new BpeTrainer(vocabularySize);
        documents.forEach(trainer::addText);
        long counted = System.nanoTime();
        BpeTokenizer ours = trainer.train();
        long trained = System.nanoTime();
        out.printf("train %d ids: %.2f s (counting %.2f s, %d merges %.2f s), %d distinct pieces%n", ours.vocabularySize(),
            (trained - start) / 1e9, (counted - start) / 1e9, ours.mergeCount(), (trained - counted) / 1e9, trainer.distinctPieces());

        Path dir = Files.createTempDirectory("bench-tokenizer");
        Path file = ours.save(dir);
        try (HuggingFaceTokenizer theirs = HuggingFaceTokenizer.newInstance(file, Map.of("truncation", "false", "padding", "false"))) {
            long differing = documents.stream()
                .filter(d -> !Arrays.equals(theirs.encode(d, false, false).getIds(), Arrays.stream(ours.encodeWithSpecialTokens(d)).asLongStream().toArray()))
                .count();
            out.printf("documents where the ids differ: %d of %d%n", differing, documents.size());
            long tokens = documents.stream().mapToLong(d -> ours.encode(d).length).sum();
            out.printf("compression: %.2f bytes per token%n", (double) bytes / tokens);

            Consumer<String> lmforge = ours::encode;
            Consumer<String> huggingFace = d -> theirs.encode(d, false, false);
            double ours1 = throughput(documents, lmforge, 1, seconds);
            double theirs1 = throughput(documents, huggingFace, 1, seconds);
            double oursN = throughput(documents, lmforge, threads, seconds);
            double theirsN = throughput(documents, huggingFace, threads, seconds);
            out.printf("encode, 1 thread:   lmforge %7.1f MB/s   Hugging Face %7.1f MB/s   ratio %.2fx%n", ours1, theirs1, ours1 / theirs1);
            out.printf("encode, %d threads: lmforge %7.1f MB/s   Hugging Face %7.1f MB/s   ratio %.2fx%n", threads, oursN, theirsN, oursN / theirsN);
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
        return 0;
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

    /** MB/s over {@code seconds} of encoding the documents round-robin on {@code threads} threads, after a warm-up pass. */
    private static double throughput(List<String> documents, Consumer<String> encode, int threads,
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
            List<Future<Long>> work = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t * documents.size() / threads;
                work.add(pool.submit(() -> {
                    long done = 0;
                    for (int i = first; System.nanoTime() < deadline; i = (i + 1) % documents.size()) {
                        encode.accept(documents.get(i));
                        done += sizes[i];
                    }
                    return done;
                }));
            }
            long done = 0;
            for (Future<Long> f : work) {
                done += f.get();
            }
            return done / ((System.nanoTime() - begin) / 1e3);
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
