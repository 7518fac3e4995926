package dev.lmforge.activities.evaluation;

import dev.lmforge.activities.StageContext;
import dev.lmforge.activities.StageRuntime;
import dev.lmforge.activities.model.LanguageModel;
import dev.lmforge.activities.model.ModelWithTokenizer;
import dev.lmforge.activities.model.TrainingCheckpoint;
import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.text.CorpusManifest;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.type.CollectionType;
import dev.lmforge.services.ledger.Records.EvaluationResult;
import dev.lmforge.workflows.spec.LifecycleSpec;
import dev.lmforge.workflows.spec.LifecycleSpec.EvaluationOptions;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.EvaluateStage;
import dev.lmforge.workflows.stage.EvaluateStageConfig;
import dev.lmforge.workflows.stage.Outputs;
import dev.lmforge.workflows.stage.StageInput;
import dev.lmforge.workflows.stage.StageOutput;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The evaluation stages on a compute worker; see {@link EvaluateStage}. Scores the newest checkpoint of the
 * stages before it: bits per byte on the tokenizer stage's held-out documents, then each configured suite
 * ({@code small} is generated from a seed and the corpus, anything else is a suite or task file the worker
 * reads). Finished tasks are heartbeated, so a retry evaluates only the rest; every figure goes to the ledger
 * against the model artifact it measured.
 */
public final class EvaluateStageActivities implements EvaluateStage {

    /** The task name of bits per byte on held-out documents. */
    public static final String HELD_OUT_TASK = "held-out";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final CollectionType RESULTS = JSON.getTypeFactory().constructCollectionType(List.class, MetricResult.class);
    private static final long SUITE_SEED = 1234;

    private final StageRuntime runtime;

    public EvaluateStageActivities(StageRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public StageOutput evaluate(StageInput input) {
        EvaluateStageConfig config = JSON.convertValue(input.config(), EvaluateStageConfig.class);
        EvaluationOptions options = config.evaluation() != null ? config.evaluation()
                : new EvaluationOptions(null, null, null, null);
        return StageContext.run(runtime, input, JsonNode.class, context -> {
            ArtifactRef checkpoint = context.requireInput(Outputs.CHECKPOINT);
            ArtifactRef modelRef = context.requireInput(Outputs.MODEL);
            ArtifactRef tokenizerRef = context.requireInput(Outputs.TOKENIZER);
            Path work = context.workDirectory();
            List<MetricResult> done = new ArrayList<>(context.checkpoint(JsonNode.class)
                    .<List<MetricResult>>map(node -> JSON.convertValue(node, RESULTS)).orElse(List.of()));
            context.artifacts().download(tokenizerRef.digest(), work.resolve(BpeTokenizer.FILE_NAME));
            BpeTokenizer tokenizer = BpeTokenizer.load(work.resolve(BpeTokenizer.FILE_NAME));
            TrainingCheckpoint state;
            try (InputStream in = context.artifacts().open(checkpoint.digest())) {
                state = TrainingCheckpoint.unpack(in, work.resolve("model"));
            }
            List<Task> tasks = tasks(context, options, work);
            try (LanguageModel model = state.languageModel(work.resolve("model"),
                    Runtime.getRuntime().availableProcessors())) {
                // Training streams put <|eos|> between documents, so it is what the model knows as a start.
                ModelWithTokenizer scored = new ModelWithTokenizer(model, tokenizer,
                        tokenizer.specialTokenId(ModelWithTokenizer.DOCUMENT_END));
                int batch = options.batchSize() != null ? options.batchSize() : 8;
                if (done.stream().noneMatch(r -> r.task().equals(HELD_OUT_TASK))) {
                    Optional<MetricResult> bpb = bitsPerByte(context, scored, options, batch, work);
                    bpb.ifPresent(done::add);
                    record(context, modelRef, bpb.map(List::of).orElse(List.of()));
                    context.heartbeat(JSON.valueToTree(done));
                }
                TaskEvaluator evaluator = new TaskEvaluator(scored, batch, () -> context.heartbeat(JSON.valueToTree(done)));
                new EvaluationRun(evaluator).run(tasks, List.copyOf(done), results -> {
                    done.addAll(results);
                    record(context, modelRef, results);
                    context.heartbeat(JSON.valueToTree(done));
                });
            }
            ArtifactRef results = context.putArtifact(JSON.writeValueAsBytes(Map.of("model", modelRef.digest(),
                    "checkpoint", checkpoint.digest(), "results", done)), "evaluation", Map.of("results", done.size()));
            Map<String, Double> summary = new LinkedHashMap<>();
            for (MetricResult r : done) {
                summary.put(r.task() + "." + r.metric(), r.value());
            }
            return new StageOutput(Map.of(Outputs.EVALUATION, results), summary);
        });
    }

    /** Bits per byte on (at most {@code heldOutDocuments} of) the held-out documents; empty when there are none. */
    private static Optional<MetricResult> bitsPerByte(StageContext context, ModelWithTokenizer model,
                                                      EvaluationOptions options, int batch, Path work) throws IOException {
        ArtifactRef heldOut = context.input().inputs().get(Outputs.HELD_OUT);
        if (heldOut == null) {
            return Optional.empty();
        }
        int limit = options.heldOutDocuments() != null ? options.heldOutDocuments() : 200;
        List<String> texts = new ArrayList<>();
        Path file = work.resolve("held-out.jsonl");
        context.artifacts().download(heldOut.digest(), file);
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line = reader.readLine(); line != null && texts.size() < limit; line = reader.readLine()) {
                texts.add(JSON.readTree(line).get("text").asText());
            }
        }
        if (texts.isEmpty()) {
            return Optional.empty();
        }
        int stride = Math.max(1, model.model().contextLength() / 2);
        return Optional.of(new BitsPerByte(model, stride, batch).measure(texts).asMetric(HELD_OUT_TASK));
    }

    /** The tasks of every configured suite, the bundled one generated from the corpus's first part. */
    private static List<Task> tasks(StageContext context, EvaluationOptions options, Path work) throws IOException {
        List<String> suites = options.suites() != null ? options.suites() : List.of(LifecycleSpec.BUNDLED_SUITE);
        List<Task> tasks = new ArrayList<>();
        for (int i = 0; i < suites.size(); i++) {
            String suite = suites.get(i);
            if (suite.equals(LifecycleSpec.BUNDLED_SUITE)) {
                ArtifactRef corpusRef = context.requireInput(Outputs.CORPUS);
                CorpusManifest corpus = CorpusManifest.read(context.artifacts(), corpusRef.digest());
                Path part = work.resolve("corpus-part.jsonl");
                context.artifacts().download(corpus.parts().get(0).digest(), part);
                Path dir = work.resolve("suite-small");
                new SuiteGenerator(part, SUITE_SEED, options.items() != null ? options.items() : 100).write(dir);
                tasks.addAll(Suite.tasksOf(dir.resolve(SuiteGenerator.SUITE_FILE), TaskFiles.LOCAL));
            } else {
                // The suite, its task files and their data: each opened through the source roots of the run's
                // team, checked again at the open, so no file of the suite reads outside them.
                String field = "evaluation.suites[" + i + "]";
                tasks.addAll(Suite.tasksOf(Path.of(suite), file -> context.open(field, file)));
            }
        }
        return tasks;
    }

    private static void record(StageContext context, ArtifactRef model, List<MetricResult> results) {
        StageInput input = context.input();
        context.ledger().metrics().recordEvaluations(results.stream().map(r -> new EvaluationResult(input.runId(), input.stage(),
                model.digest(), r.task(), r.metric(), r.value(), r.n(), r.stderr())).toList());
    }
}
