package dev.lmforge.activities.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lmforge.activities.cli.Args;
import dev.lmforge.activities.cli.Command;
import dev.lmforge.activities.cli.Help;
import dev.lmforge.activities.model.ComputePrecision;
import dev.lmforge.activities.model.DecoderLanguageModel;
import dev.lmforge.activities.model.DecoderTrainer;
import dev.lmforge.activities.model.HfExporter;
import dev.lmforge.activities.model.ModelShape;
import dev.lmforge.activities.model.OptimizerSettings;
import dev.lmforge.activities.model.SafetensorsDtype;
import dev.lmforge.activities.model.TrainingSetup;
import dev.lmforge.activities.planning.BudgetPlanner;
import dev.lmforge.activities.planning.BudgetRequest;
import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.tokenizer.BpeTrainer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code lmforge bench export [--shapes demo,100M] [--json]} ({@code --smoke}: a tiny shape): how long writing a
 * model's serving forms takes and how many bytes they hold, for the demo's planned model (budget 3e11 FLOPs,
 * vocabulary 4096) and a 100 M-parameter shape, from random initial weights. The baseline, measured in the same
 * run, is TensorFlow's own checkpoint write of the trainer ({@code DecoderTrainer.save}: weights, AdamW moments
 * and step, what the SavedModel carried before it was cut to serving); the export figures are given as ratios to
 * it. Printed: the checkpoint's bytes and seconds, the serving SavedModel's, and the Hugging Face folder's in
 * float32 and bfloat16.
 */
public final class ExportBenchCommand implements Command {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Override
    public String name() {
        return "bench-export";
    }

    @Override
    public String summary() {
        return "model export time and bytes (SavedModel, Hugging Face fp32/bf16) against a checkpoint write";
    }

    @Override
    public Help help() {
        return Help.of("Export time and bytes of the serving SavedModel and the Hugging Face folder (fp32 and bf16) "
                + "for the demo's model and a 100M-parameter shape, against the trainer's checkpoint write in the same run.")
                .usage("bench export [--shapes demo,100M] [--smoke] [--json] [--threads N]")
                .option("--shapes LIST", "demo, 100M or both (default both)")
                .option("--smoke", "one tiny shape, as the test suite runs it")
                .option("--json", "the figures as JSON")
                .option("--threads N", "TensorFlow's threads (default all cores)")
                .example("lmforge bench export --shapes demo");
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        args.allowOnly("shapes", "smoke", "json", "threads");
        int threads = (int) args.getLong("threads", Runtime.getRuntime().availableProcessors());
        List<String> labels = args.has("smoke") ? List.of("tiny")
                : List.of(args.get("shapes", "demo,100M").split(","));
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String label : labels) {
            rows.add(measure(label, shape(label.strip()), threads));
        }
        if (args.has("json")) {
            out.println(JSON.writeValueAsString(Map.of("cores", Runtime.getRuntime().availableProcessors(),
                    "threads", threads, "shapes", rows)));
        } else {
            out.printf(Locale.ROOT, "model export on %d cores (%d threads); baseline: the trainer's checkpoint "
                    + "write%n", Runtime.getRuntime().availableProcessors(), threads);
            for (Map<String, Object> row : rows) {
                out.printf(Locale.ROOT, "%-5s %,d parameters: checkpoint %,d B in %.2f s | serving SavedModel "
                                + "%,d B (%.2fx) in %.2f s (%.2fx) | hf fp32 %,d B in %.2f s (%.2fx) | hf bf16 %,d B "
                                + "in %.2f s (%.2fx)%n",
                        row.get("shape"), row.get("parameters"), row.get("checkpointBytes"),
                        row.get("checkpointSeconds"), row.get("savedModelBytes"),
                        ratio(row, "savedModelBytes", "checkpointBytes"), row.get("savedModelSeconds"),
                        ratio(row, "savedModelSeconds", "checkpointSeconds"), row.get("hfFp32Bytes"),
                        row.get("hfFp32Seconds"), ratio(row, "hfFp32Seconds", "checkpointSeconds"),
                        row.get("hfBf16Bytes"), row.get("hfBf16Seconds"),
                        ratio(row, "hfBf16Seconds", "checkpointSeconds"));
            }
        }
        return 0;
    }

    private static ModelShape shape(String label) {
        return switch (label) {
            case "tiny" -> new ModelShape(1, 32, 2, 1, 32, 300);
            case "demo" -> BudgetPlanner.plan(new BudgetRequest(3.0e11, null, null, 4096, null, null)).model().shape();
            case "100M" -> new ModelShape(8, 768, 12, 12, 1024, 32_000);
            default -> throw new Args.UsageException("--shapes: 'demo', '100M' (comma-separated), not '" + label + "'");
        };
    }

    private static Map<String, Object> measure(String label, ModelShape shape, int threads) throws IOException {
        BpeTokenizer tokenizer = tokenizer(shape.vocab());
        TrainingSetup setup = new TrainingSetup(shape, OptimizerSettings.paper(), 1, 1, ComputePrecision.FLOAT32,
                1, threads, null);
        Path work = Files.createTempDirectory("lmforge-bench-export");
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("shape", label);
        row.put("layers", shape.layers());
        row.put("dModel", shape.dModel());
        row.put("vocab", shape.vocab());
        try (DecoderTrainer trainer = new DecoderTrainer(setup)) {
            row.put("parameters", trainer.parameterCount());
            // The first save also runs the variables' initialisers; time the second.
            trainer.save(work.resolve("checkpoint"));
            long t0 = System.nanoTime();
            trainer.save(work.resolve("checkpoint"));
            row.put("checkpointSeconds", seconds(t0));
            row.put("checkpointBytes", bytes(work.resolve("checkpoint")));
        }
        try (DecoderLanguageModel model = new DecoderLanguageModel(setup, work.resolve("checkpoint"))) {
            long t0 = System.nanoTime();
            model.exportSavedModel(work.resolve("saved_model"));
            row.put("savedModelSeconds", seconds(t0));
            row.put("savedModelBytes", bytes(work.resolve("saved_model")));
            for (SafetensorsDtype dtype : SafetensorsDtype.values()) {
                String key = dtype == SafetensorsDtype.F32 ? "hfFp32" : "hfBf16";
                t0 = System.nanoTime();
                HfExporter.export(model, tokenizer, dtype, work.resolve(key));
                row.put(key + "Seconds", seconds(t0));
                row.put(key + "Bytes", bytes(work.resolve(key)));
            }
        } finally {
            try (Stream<Path> all = Files.walk(work)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        return row;
    }

    /**
     * A tokenizer of exactly {@code vocab} ids: the special tokens, the 256 bytes, and two-byte merges in order
     * (what it encodes does not matter here; its size and {@code tokenizer.json} do).
     */
    static BpeTokenizer tokenizer(int vocab) {
        List<String> specials = BpeTrainer.DEFAULT_SPECIAL_TOKENS;
        int merges = vocab - specials.size() - 256;
        if (merges < 0 || merges > 256 * 256) {
            throw new IllegalArgumentException("the bench tokenizer cannot have " + vocab + " ids");
        }
        byte[][] tokens = new byte[vocab][];
        Map<String, Integer> specialIds = new LinkedHashMap<>();
        for (int i = 0; i < specials.size(); i++) {
            tokens[i] = specials.get(i).getBytes(StandardCharsets.UTF_8);
            specialIds.put(specials.get(i), i);
        }
        int bytes = specials.size();
        for (int b = 0; b < 256; b++) {
            tokens[bytes + b] = new byte[] {(byte) b};
        }
        List<int[]> pairs = new ArrayList<>();
        for (int m = 0; m < merges; m++) {
            int left = m / 256;
            int right = m % 256;
            int id = bytes + 256 + m;
            tokens[id] = new byte[] {(byte) left, (byte) right};
            pairs.add(new int[] {bytes + left, bytes + right, id});
        }
        return new BpeTokenizer(tokens, specialIds, pairs);
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    private static double ratio(Map<String, Object> row, String value, String baseline) {
        return ((Number) row.get(value)).doubleValue() / ((Number) row.get(baseline)).doubleValue();
    }

    private static long bytes(Path folder) throws IOException {
        try (Stream<Path> files = Files.walk(folder)) {
            long total = 0;
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                total += Files.size(file);
            }
            return total;
        }
    }
}
