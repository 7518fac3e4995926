package dev.lmforge.activities.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.activities.cli.Args;
import dev.lmforge.activities.cli.Command;
import dev.lmforge.activities.cli.Help;
import dev.lmforge.activities.model.ComputePrecision;
import dev.lmforge.activities.model.DecoderTrainer;
import dev.lmforge.activities.model.GreedyDecoder;
import dev.lmforge.activities.model.HfLlamaConfig;
import dev.lmforge.activities.model.ModelArchive;
import dev.lmforge.activities.model.ModelShape;
import dev.lmforge.activities.model.ModelWithTokenizer;
import dev.lmforge.activities.model.OptimizerSettings;
import dev.lmforge.activities.model.StoredModel;
import dev.lmforge.activities.model.TrainingSetup;
import dev.lmforge.activities.planning.BudgetPlanner;
import dev.lmforge.activities.planning.BudgetRequest;
import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.worker.InferenceServer;
import dev.lmforge.activities.worker.ServedModels;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code lmforge bench serving}: greedy generation speed on one model and one thread count, three ways. The
 * baseline is {@link GreedyDecoder} in this process (what {@code lmforge model generate} runs); against it, the
 * same generation through a worker's inference endpoint ({@link InferenceServer}, {@code POST /generate},
 * streamed, timed by the client from the request to the last line: the endpoint's overhead), and transformers'
 * {@code generate} (greedy, {@code torch.set_num_threads(N)}) on the model's Hugging Face export, run by the
 * pinned Python of {@code hf-venv.sh} (skipped, saying so, where there is none). The model is a stored one
 * ({@code --model}) or a shape with its initial, untrained weights ({@code --shape}): speed does not depend on
 * what the weights learnt, only the token count does, and every figure counts the tokens actually generated.
 */
public final class ServingBenchCommand implements Command {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROMPT = "The quick brown fox jumps over the lazy dog. ";
    /** The peer loads torch and the model once, then generates; minutes only for the largest shapes. */
    private static final long PEER_MINUTES = 15;

    @Override
    public String name() {
        return "bench-serving";
    }

    @Override
    public String summary() {
        return "generation tokens/s: in-process decoder, the worker's inference endpoint, transformers' generate";
    }

    @Override
    public Help help() {
        return Help.of("Greedy generation tokens/s on one model and thread count: GreedyDecoder in-process (what "
                        + "'model generate' runs, the baseline), the worker's streaming inference endpoint, and "
                        + "transformers' generate on the Hugging Face export via the pinned venv; ratios to the "
                        + "baseline.")
                .usage("bench serving [--shape tiny|demo|100M | --model PATH] [--tokens N] [--repeats N] "
                        + "[--threads N] [--hf-python PATH] [--smoke]")
                .option("--shape NAME", "tiny, demo (the demo's planned model) or 100M, initial weights "
                        + "(default demo)")
                .option("--model PATH", "a stored model instead: an archive zip or its folder with hf/ inside")
                .option("--tokens N", "new tokens per generation (default 64)")
                .option("--repeats N", "timed generations per way, after one to warm up (default 3)")
                .option("--threads N", "threads of TensorFlow and of torch alike (default all cores)")
                .option("--hf-python PATH", "the python with transformers (default LMFORGE_HF_PYTHON, else the "
                        + "newest complete ~/.cache/lmforge/hf-venv-*)")
                .option("--smoke", "the tiny shape, 8 tokens, 1 repeat, as the test suite runs it")
                .example("lmforge bench serving --shape demo --tokens 128 --threads 2");
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        args.allowOnly("shape", "model", "tokens", "repeats", "threads", "hf-python", "smoke");
        boolean smoke = args.has("smoke");
        int threads = (int) args.getLong("threads", Runtime.getRuntime().availableProcessors());
        int tokens = (int) args.getLong("tokens", smoke ? 8 : 64);
        int repeats = (int) args.getLong("repeats", smoke ? 1 : 3);
        if (threads < 1 || tokens < 1 || repeats < 1) {
            throw new Args.UsageException("--threads, --tokens and --repeats must be at least 1");
        }
        if (args.has("model") && args.has("shape")) {
            throw new Args.UsageException("give --model or --shape, not both");
        }
        Path work = Files.createTempDirectory("lmforge-bench-serving");
        try {
            String label;
            Path model;
            if (args.has("model")) {
                model = Path.of(args.require("model"));
                label = model.getFileName().toString();
            } else {
                label = smoke ? "tiny" : args.get("shape", "demo");
                ModelShape shape = shape(label);
                long parameters = initialModel(shape, threads, work.resolve("model"));
                model = work.resolve("model");
                out.printf(Locale.ROOT, "model: shape %s, %s, %,d parameters, initial weights (untrained)%n", label,
                        shape, parameters);
            }
            measure(label, model, tokens, repeats, threads, hfPython(args), out);
        } finally {
            ModelArchive.delete(work);
        }
        return 0;
    }

    private static void measure(String label, Path path, int maxTokens, int repeats, int threads,
                                Optional<Path> hfPython, PrintStream out) throws Exception {
        int[] prompt;
        double inProcess;
        Path hfFolder;
        String text;
        try (StoredModel.Opened opened = StoredModel.open(path, threads)) {
            ModelWithTokenizer model = opened.model();
            int context = model.model().contextLength();
            int tokens = Math.min(maxTokens, context / 2);
            prompt = model.encodeDocument(PROMPT.repeat(4), false);
            prompt = Arrays.copyOf(prompt, Math.min(prompt.length, context - tokens));
            maxTokens = tokens;
            // The endpoint takes text and adds the document start itself: the cut prompt, decoded back.
            int start = prompt.length > 0 && prompt[0] == model.documentStart() ? 1 : 0;
            text = model.tokenizer().decode(Arrays.copyOfRange(prompt, start, prompt.length));
            hfFolder = hfFolder(opened.scratch() != null ? opened.scratch() : path);
            out.printf(Locale.ROOT, "serving bench on %d cores, %d threads for all: %s, prompt %d tokens, up to %d "
                            + "new tokens, greedy, %d timed generations each after one warm-up%n",
                    Runtime.getRuntime().availableProcessors(), threads, label, prompt.length, maxTokens, repeats);
            GreedyDecoder decoder = new GreedyDecoder(model);
            decoder.generate(prompt, List.of(), maxTokens);
            long generated = 0;
            long t0 = System.nanoTime();
            for (int r = 0; r < repeats; r++) {
                generated += decoder.generate(prompt, List.of(), maxTokens).tokens().length;
            }
            inProcess = generated / seconds(t0);
            out.printf(Locale.ROOT, "in-process GreedyDecoder (model generate): %d tokens, %.1f tokens/s, ratio "
                    + "1.000%n", generated, inProcess);
        }

        String digest = "0".repeat(64);
        try (InferenceServer server = InferenceServer.start("127.0.0.1", 0, 1,
                new ServedModels(1, d -> StoredModel.open(path, threads)))) {
            HttpClient http = HttpClient.newHttpClient();
            streamed(http, server, digest, text, maxTokens);   // loads the model and warms it up
            long generated = 0;
            long t0 = System.nanoTime();
            for (int r = 0; r < repeats; r++) {
                generated += streamed(http, server, digest, text, maxTokens);
            }
            double endpoint = generated / seconds(t0);
            out.printf(Locale.ROOT, "inference endpoint POST /generate (streamed, HTTP on loopback): %d tokens, "
                    + "%.1f tokens/s, ratio %.3f%n", generated, endpoint, endpoint / inProcess);
        }

        if (hfPython.isEmpty()) {
            out.println("transformers generate: skipped, no pinned Hugging Face python (give --hf-python or "
                    + "LMFORGE_HF_PYTHON, or install it with activities/src/test/python/hf-venv.sh)");
            return;
        }
        String ids = Arrays.stream(prompt).mapToObj(Integer::toString).collect(Collectors.joining(","));
        JsonNode peer = PythonPeers.existing(hfPython.get().toAbsolutePath().getParent().getParent())
                .run("hf_generate_peer.py", List.of(hfFolder.toString(), ids, Integer.toString(maxTokens),
                        Integer.toString(threads), Integer.toString(repeats)), Map.of(), PEER_MINUTES);
        double theirs = peer.path("tokens").asDouble() / peer.path("seconds").asDouble();
        out.printf(Locale.ROOT, "transformers %s generate (greedy, torch %s, %d threads): %d tokens, %.1f tokens/s, "
                        + "ratio %.3f%n", peer.path("versions").path("transformers").asText(),
                peer.path("versions").path("torch").asText(), peer.path("threads").asInt(),
                peer.path("tokens").asLong(), theirs, theirs / inProcess);
        out.println(PeerLine.format("greedy generation", inProcess, "transformers", theirs, "tokens/s"));
    }

    /** One streamed generation through the endpoint; the tokens it reports. */
    private static long streamed(HttpClient http, InferenceServer server, String digest, String prompt,
                                 int maxTokens) throws IOException, InterruptedException {
        String body = JSON.writeValueAsString(Map.of("model", digest, "prompt", prompt, "maxTokens", maxTokens,
                "temperature", 0));
        HttpRequest request = HttpRequest.newBuilder(URI.create(server.address() + "/generate"))
                .header("Authorization", "Bearer " + server.token()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<java.io.InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(),
                StandardCharsets.UTF_8))) {
            if (response.statusCode() != 200) {
                throw new IOException("the endpoint answered " + response.statusCode() + ": " + lines.readLine());
            }
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                JsonNode event = JSON.readTree(line);
                if (event.has("error")) {
                    throw new IOException("the endpoint failed: " + event.get("error").asText());
                }
                if (event.path("done").asBoolean()) {
                    return event.path("completionTokens").asLong();
                }
            }
        }
        throw new IOException("the endpoint's stream ended without its done line");
    }

    private static ModelShape shape(String label) {
        return switch (label) {
            case "tiny" -> new ModelShape(1, 32, 2, 1, 64, 300);
            case "demo" -> BudgetPlanner.plan(new BudgetRequest(3.0e11, null, null, 4096, null, null)).model().shape();
            case "100M" -> new ModelShape(8, 768, 12, 12, 1024, 32_000);
            default -> throw new Args.UsageException("--shape: 'tiny', 'demo' or '100M', not '" + label + "'");
        };
    }

    /**
     * Writes a model archive folder of {@code shape} with its initial weights and a tokenizer of its vocabulary;
     * returns its parameter count.
     */
    private static long initialModel(ModelShape shape, int threads, Path folder) throws IOException {
        BpeTokenizer tokenizer = ExportBenchCommand.tokenizer(shape.vocab());
        TrainingSetup setup = new TrainingSetup(shape, OptimizerSettings.paper(), 1, 1, ComputePrecision.FLOAT32,
                1, threads, null);
        long parameters;
        try (DecoderTrainer trainer = new DecoderTrainer(setup)) {
            parameters = trainer.parameterCount();
            ModelArchive.writeServingForms(trainer, tokenizer, folder);
        }
        tokenizer.save(folder);
        Files.write(folder.resolve(ModelArchive.DESCRIPTION), JSON.writeValueAsBytes(Map.of("shape", shape)));
        return parameters;
    }

    /** The Hugging Face form of a model folder: its {@code hf/} inside, or the folder itself if it is one. */
    private static Path hfFolder(Path folder) {
        if (Files.isRegularFile(folder.resolve(HfLlamaConfig.FILE_NAME))) {
            return folder;
        }
        return folder.resolve(ModelArchive.HF_FOLDER);
    }

    /** The python with transformers: the option, the variable, or the newest complete pinned venv. */
    private static Optional<Path> hfPython(Args args) throws IOException {
        String given = args.has("hf-python") ? args.get("hf-python", null) : System.getenv("LMFORGE_HF_PYTHON");
        if (given != null && !given.isBlank()) {
            return Optional.of(Path.of(given));
        }
        String cache = System.getenv("LMFORGE_HF_VENV_ROOT");
        Path root = cache != null && !cache.isBlank() ? Path.of(cache)
                : Path.of(System.getProperty("user.home"), ".cache", "lmforge");
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> venvs = Files.list(root)) {
            return venvs.filter(v -> v.getFileName().toString().startsWith("hf-venv-"))
                    .filter(v -> Files.isRegularFile(v.resolve(".complete")))
                    .max(Comparator.comparing(v -> v.resolve(".complete").toFile().lastModified()))
                    .map(v -> v.resolve("bin/python"));
        }
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
