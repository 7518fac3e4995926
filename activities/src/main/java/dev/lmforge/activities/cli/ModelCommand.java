package dev.lmforge.activities.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lmforge.activities.alignment.ChatTemplate;
import dev.lmforge.activities.model.GreedyDecoder;
import dev.lmforge.activities.model.HfExporter;
import dev.lmforge.activities.model.ModelWithTokenizer;
import dev.lmforge.activities.model.SafetensorsDtype;
import dev.lmforge.activities.model.StoredModel;
import dev.lmforge.activities.model.TokenSampler;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code lmforge model}: a trained model offline, from a model artifact's zip, that zip unpacked, or an exported
 * Hugging Face folder.
 * <ul>
 *   <li>{@code model export MODEL --format hf [--dtype fp32|bf16] --out DIR}: the Hugging Face Llama layout;</li>
 *   <li>{@code model score --model M --text TEXT [--json]}: the text's ids after {@code <|bos|>} and each
 *   token's log-probability given what precedes it;</li>
 *   <li>{@code model generate --model M --prompt TEXT [--chat] --max-tokens N [--temperature T --top-p P
 *   --seed S] [--json]}: greedy by default; {@code --chat} wraps the prompt in the chat template SFT trains on
 *   (its text stays plain text, special token spellings included).</li>
 * </ul>
 * MODEL may also be a model artifact's digest or a run id (its final model: the aligned one when there is one),
 * fetched from the running lmforge's API as the run commands reach it ({@code LMFORGE_URL}, {@code LMFORGE_TOKEN}).
 */
public final class ModelCommand implements Command {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern DIGEST = Pattern.compile("[0-9a-f]{64}");
    /** A digest (optionally {@code sha256:}) or a run id: letters, digits, '-', '_' and '.'. */
    private static final Pattern RUN_OR_DIGEST = Pattern.compile("(sha256:)?[0-9a-f]{64}|[A-Za-z0-9._-]{1,128}");

    @Override
    public String name() {
        return "model";
    }

    @Override
    public String summary() {
        return "a model offline: export it to the Hugging Face layout, score a text, generate from a prompt";
    }

    @Override
    public Help help() {
        return Help.of("A model offline. MODEL or M is a model zip, its unzipped folder, a Hugging Face folder, a model "
                + "artifact digest or a run id (its final model; digests and run ids are fetched through the console's "
                + "API with LMFORGE_URL and LMFORGE_TOKEN). export writes the Hugging Face Llama layout; score prints "
                + "each token's log-probability given what precedes it; generate decodes greedily unless a "
                + "temperature is given.")
                .usage("model export MODEL --format hf [--dtype fp32|bf16] --out DIR [--threads N]")
                .usage("model score --model M --text TEXT [--json] [--threads N]")
                .usage("model generate --model M --prompt TEXT [--chat] --max-tokens N [--temperature T] [--top-p P] "
                        + "[--seed S] [--json] [--threads N]")
                .option("--format hf", "the layout to export (Hugging Face's; the only one)")
                .option("--dtype fp32|bf16", "the exported weights' type (default fp32)")
                .option("--out DIR", "where to write the export: a new or empty folder")
                .option("--model M", "the model to score with or generate from")
                .option("--text TEXT", "the text to score")
                .option("--prompt TEXT", "the prompt to continue")
                .option("--chat", "wrap the prompt as a user turn in the chat template SFT trained on")
                .option("--max-tokens N", "how many tokens to generate at most, within the context")
                .option("--temperature T", "sample at this temperature (default 0: greedy)")
                .option("--top-p P", "sample only from the smallest set of tokens whose probability reaches P (default 1)")
                .option("--seed S", "the sampling seed (default 0)")
                .option("--json", "the answer as JSON")
                .option("--threads N", "TensorFlow's threads (default all cores)")
                .example("lmforge model export run-20261207-abc --format hf --dtype bf16 --out ./hf-model")
                .example("lmforge model score --model ./hf-model --text 'The sky is blue.' --json")
                .example("lmforge model generate --model model.zip --prompt 'Hello' --chat --max-tokens 32");
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        String what = args.positional(0, "what to do: 'export', 'score' or 'generate'");
        return switch (what) {
            case "export" -> export(args, out);
            case "score" -> score(args, out);
            case "generate" -> generate(args, out);
            default -> throw new Args.UsageException("unknown model action '" + what
                    + "': use 'export', 'score' or 'generate'");
        };
    }

    private static int export(Args args, PrintStream out) throws Exception {
        args.allowOnly("format", "dtype", "out", "threads");
        String format = args.require("format");
        if (!format.equals("hf")) {
            throw new Args.UsageException("--format: only 'hf' (the Hugging Face Llama layout) is built, not '"
                    + format + "'");
        }
        SafetensorsDtype dtype = dtype(args.get("dtype", "fp32"));
        Path target = Path.of(args.require("out"));
        if (Files.exists(target) && (!Files.isDirectory(target) || !isEmpty(target))) {
            throw new Args.UsageException("--out: " + target + " exists and is not an empty folder");
        }
        long started = System.nanoTime();
        try (StoredModel.Opened opened = open(args.positional(1, "MODEL (a model zip or folder, a model digest or a run id)"), args)) {
            HfExporter.export(opened.decoder(), opened.model().tokenizer(), dtype, target);
        }
        long bytes;
        try (Stream<Path> files = Files.walk(target)) {
            bytes = files.filter(Files::isRegularFile).mapToLong(ModelCommand::size).sum();
        }
        out.printf(Locale.ROOT, "exported %s (%s, %d bytes) in %.2f s%n", target, dtype.torchName(), bytes,
                (System.nanoTime() - started) / 1e9);
        return 0;
    }

    private static int score(Args args, PrintStream out) throws Exception {
        args.allowOnly("model", "text", "json", "threads");
        String text = args.require("text");
        try (StoredModel.Opened opened = open(args.require("model"), args)) {
            ModelWithTokenizer model = opened.model();
            int[] ids = model.encodeDocument(text, false);
            int context = model.model().contextLength();
            if (ids.length < 2 || ids.length > context + 1) {
                throw new Args.UsageException("--text: encodes to " + (ids.length - 1) + " tokens; the model scores 1 to "
                        + context);
            }
            float[] logProbabilities = model.model().tokenLogProbabilities(new int[][] {ids})[0];
            double total = 0;
            for (float logP : logProbabilities) {
                total += logP;
            }
            if (args.has("json")) {
                ObjectNode result = JSON.createObjectNode();
                ids(result.putArray("ids"), ids);
                ArrayNode logProbs = result.putArray("logProbabilities");
                for (float logP : logProbabilities) {
                    logProbs.add(logP);
                }
                result.put("total", total);
                out.println(JSON.writeValueAsString(result));
            } else {
                for (int i = 0; i < logProbabilities.length; i++) {
                    out.printf(Locale.ROOT, "%8d %10.4f  %s%n", ids[i + 1], logProbabilities[i],
                            JSON.writeValueAsString(model.tokenizer().decode(new int[] {ids[i + 1]})));
                }
                out.printf(Locale.ROOT, "total %.4f nats over %d tokens%n", total, logProbabilities.length);
            }
        }
        return 0;
    }

    private static int generate(Args args, PrintStream out) throws Exception {
        args.allowOnly("model", "prompt", "chat", "max-tokens", "temperature", "top-p", "seed", "json", "threads");
        String prompt = args.require("prompt");
        long maxTokens = args.getLong("max-tokens", -1);
        if (!args.has("max-tokens")) {
            throw new Args.UsageException("missing --max-tokens");
        }
        TokenSampler sampler = sampler(args);
        try (StoredModel.Opened opened = open(args.require("model"), args)) {
            ModelWithTokenizer model = opened.model();
            int[] ids = args.has("chat") ? new ChatTemplate(model.tokenizer()).prompt(prompt)
                    : model.encodeDocument(prompt, false);
            int context = model.model().contextLength();
            if (maxTokens < 1 || maxTokens >= context) {
                throw new Args.UsageException("--max-tokens: must be 1 to " + (context - 1) + " for a context of "
                        + context + ", not " + maxTokens);
            }
            if (ids.length + maxTokens - 1 > context) {
                throw new Args.UsageException("--prompt: " + ids.length + " tokens plus --max-tokens " + maxTokens
                        + " do not fit the context of " + context);
            }
            long started = System.nanoTime();
            GreedyDecoder.Generation generation = new GreedyDecoder(model, sampler)
                    .generate(ids, List.of(), (int) maxTokens);
            double seconds = (System.nanoTime() - started) / 1e9;
            if (args.has("json")) {
                ObjectNode result = JSON.createObjectNode();
                ids(result.putArray("promptIds"), ids);
                ids(result.putArray("ids"), generation.tokens());
                result.put("text", generation.text());
                result.put("stoppedBy", generation.stoppedBy().name().toLowerCase(Locale.ROOT));
                result.put("seconds", seconds);
                out.println(JSON.writeValueAsString(result));
            } else {
                out.println(generation.text());
                System.err.printf(Locale.ROOT, "%d tokens in %.2f s (%s)%n", generation.tokens().length, seconds,
                        generation.stoppedBy().name().toLowerCase(Locale.ROOT));
            }
        }
        return 0;
    }

    /** Greedy without {@code --temperature} (or with 0); sampling otherwise. */
    private static TokenSampler sampler(Args args) {
        double temperature = args.getDouble("temperature", 0);
        double topP = args.getDouble("top-p", 1);
        long seed = args.getLong("seed", 0);
        if (!Double.isFinite(temperature) || temperature < 0) {
            throw new Args.UsageException("--temperature: must be finite and at least 0, not " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new Args.UsageException("--top-p: must lie in (0, 1], not " + topP);
        }
        if (temperature == 0) {
            if (args.has("top-p") || args.has("seed")) {
                throw new Args.UsageException("--top-p and --seed need --temperature above 0 (greedy otherwise)");
            }
            return null;
        }
        return new TokenSampler(temperature, topP, seed);
    }

    private static SafetensorsDtype dtype(String name) {
        try {
            return SafetensorsDtype.parse(name);
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException("--dtype: " + e.getMessage());
        }
    }

    private static void ids(ArrayNode array, int[] ids) {
        for (int id : ids) {
            array.add(id);
        }
    }

    private static StoredModel.Opened open(String model, Args args) throws Exception {
        int threads = (int) args.getLong("threads", Runtime.getRuntime().availableProcessors());
        if (threads < 1) {
            throw new Args.UsageException("--threads: must be at least 1");
        }
        Path path = Path.of(model);
        if (Files.exists(path)) {
            return StoredModel.open(path, threads);
        }
        if (!RUN_OR_DIGEST.matcher(model).matches()) {
            throw new Args.UsageException("MODEL: " + model + " is not a file or folder, an artifact digest or a run "
                    + "id; give a model artifact's zip, that zip unpacked, or an exported Hugging Face folder");
        }
        Path zip = Files.createTempFile("lmforge-model", ".zip");
        try {
            download(modelDigest(model.startsWith("sha256:") ? model.substring(7) : model), zip);
            return StoredModel.open(zip, threads);
        } finally {
            Files.deleteIfExists(zip);
        }
    }

    /**
     * The digest of the model {@code id} names through the running lmforge's API: an artifact digest of kind
     * {@code model}, or a run's final model (the last stage's in lifecycle order that produced one).
     */
    static String modelDigest(String id) throws Exception {
        if (DIGEST.matcher(id).matches()) {
            JsonNode artifact = RunCommands.call("GET", "/api/artifacts/" + id, HttpRequest.BodyPublishers.noBody(),
                    null);
            if (!"model".equals(artifact.path("kind").asText())) {
                throw new Args.UsageException("MODEL: artifact " + id + " is a " + artifact.path("kind").asText()
                        + ", not a model");
            }
            return id;
        }
        JsonNode run = RunCommands.call("GET", "/api/runs/" + URLEncoder.encode(id, StandardCharsets.UTF_8),
                HttpRequest.BodyPublishers.noBody(), null);
        String digest = null;
        for (JsonNode stage : run.path("stages")) {
            if (stage.path("outputs").hasNonNull("model")) {
                digest = stage.path("outputs").path("model").asText();
            }
        }
        if (digest == null) {
            throw new Args.UsageException("MODEL: run " + id + " has produced no model yet");
        }
        return digest;
    }

    /** Streams artifact {@code digest}'s content into {@code file}. */
    private static void download(String digest, Path file) throws Exception {
        String base = System.getenv().getOrDefault("LMFORGE_URL", "http://127.0.0.1:8080");
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/api/artifacts/" + digest + "/content"))
                .header("Authorization", "Bearer " + RunCommands.token()).GET().build();
        HttpResponse<Path> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofFile(file));
        if (response.statusCode() != 200) {
            throw new IllegalStateException("downloading model " + digest + " from " + base + " answered "
                    + response.statusCode());
        }
    }

    private static boolean isEmpty(Path folder) throws IOException {
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.findAny().isEmpty();
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }
}
