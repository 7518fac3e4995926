package dev.lmforge.activities.evaluation;

import dev.lmforge.activities.RealStageRuntime;
import dev.lmforge.activities.StageRuntime;
import dev.lmforge.activities.model.ComputePrecision;
import dev.lmforge.activities.model.DecoderTrainer;
import dev.lmforge.activities.model.ModelShape;
import dev.lmforge.activities.model.OptimizerSettings;
import dev.lmforge.activities.model.TrainingCheckpoint;
import dev.lmforge.activities.model.TrainingSetup;
import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.text.CorpusManifest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.ledger.Records.EvaluationResult;
import dev.lmforge.services.ledger.Records.NewRun;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.workflows.stage.StageFailures;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import dev.lmforge.workflows.spec.LifecycleSpec.EvaluationOptions;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.EvaluateStage;
import dev.lmforge.workflows.stage.EvaluateStageConfig;
import dev.lmforge.workflows.stage.StageInput;
import dev.lmforge.workflows.stage.StageOutput;
import io.temporal.activity.ActivityOptions;
import io.temporal.testing.TestActivityEnvironment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evaluation stage against a real PostgreSQL and S3 server, through Temporal's activity test environment,
 * on a tiny decoder trained here for a few steps: it measures bits per byte on held-out documents and runs the
 * bundled suite generated from the corpus, records every figure in the ledger against the model, and a retry
 * that heartbeated finished tasks does not evaluate them again.
 */
class EvaluateStageActivitiesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static RealStageRuntime stack;
    static StageRuntime runtime;
    static Map<String, ArtifactRef> inputs = new LinkedHashMap<>();
    static int runs;

    @BeforeAll
    static void trainATinyModel() throws Exception {
        stack = new RealStageRuntime(dir);
        runtime = stack.runtime();
        BpeTokenizer tokenizer = SmallTokenizers.merged();
        inputs.put("tokenizer", store(Files.readAllBytes(tokenizer.save(dir.resolve("tokenizer"))), "tokenizer"));
        Path sample = Path.of("../samples/corpus/dump-2024-01.jsonl");
        ArtifactRef part = store(Files.readAllBytes(sample), "corpus-part");
        CorpusManifest corpus = new CorpusManifest(CorpusManifest.FORMAT, 1, 0, 0, List.of(),
                List.of(new CorpusManifest.Part("raw-0000", "d", part.digest(), part.sizeBytes(), 1, 0, 0)));
        inputs.put("corpus", store(JSON.writeValueAsBytes(corpus), "corpus"));
        String heldOut = JSON.writeValueAsString(Map.of("text", SmallTokenizers.ENGLISH)) + "\n"
                + JSON.writeValueAsString(Map.of("text", "The fox runs; the dog sleeps.")) + "\n";
        inputs.put("held-out", store(heldOut.getBytes(StandardCharsets.UTF_8), "held-out-text"));

        ModelShape shape = new ModelShape(1, 32, 2, 1, 32, tokenizer.vocabularySize());
        TrainingSetup setup = new TrainingSetup(shape, OptimizerSettings.paper(), 4, 1, ComputePrecision.FLOAT32, 3, 1, null);
        Path variables = dir.resolve("variables");
        Files.createDirectories(variables);
        try (DecoderTrainer trainer = new DecoderTrainer(setup)) {
            int[] ids = tokenizer.encode(SmallTokenizers.ENGLISH.repeat(4));
            int[] rows = new int[4 * 33];
            for (int step = 0; step < 20; step++) {
                for (int i = 0; i < rows.length; i++) {
                    rows[i] = ids[(i + step * 7) % ids.length];
                }
                trainer.step(rows, null, 3e-3);
            }
            trainer.save(variables);
        }
        Path zip = dir.resolve("checkpoint.zip");
        new TrainingCheckpoint(20, 0, 20 * 4 * 32, shape, 4, 3e-3, 20, "multi-step", 3, 0, false).pack(variables, zip);
        inputs.put("checkpoint", store(Files.readAllBytes(zip), "checkpoint"));
        inputs.put("model", store("stands in for the exported SavedModel".getBytes(StandardCharsets.UTF_8), "model"));
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    private static ArtifactRef store(byte[] bytes, String kind) {
        ArtifactStore.StoredObject stored = runtime.artifacts().put(bytes);
        runtime.ledger().artifacts().recordArtifact(stored.digest(), kind, stored.sizeBytes(), "{}");
        return new ArtifactRef(stored.digest(), kind, stored.sizeBytes());
    }

    private static StageOutput evaluate(Object heartbeat) {
        return evaluate(heartbeat, null, new EvaluationOptions(null, 8, null, 4));
    }

    private static StageOutput evaluate(Object heartbeat, String team, EvaluationOptions options) {
        String runId = "eval-" + ++runs;
        runtime.ledger().runs().createRun(new NewRun(runId, "t", team, "alice", "{}", "", List.of(), null));
        Map<String, String> digests = new LinkedHashMap<>();
        inputs.forEach((name, ref) -> digests.put(name, ref.digest()));
        long row = runtime.ledger().runs().beginStage(runId, "evaluate-base", 1, "key-" + runId, "{}", digests, null);
        StageInput input = new StageInput(runId, row, "evaluate-base",
                JSON.valueToTree(new EvaluateStageConfig(options)), inputs);
        TestActivityEnvironment env = TestActivityEnvironment.newInstance();
        try {
            env.registerActivitiesImplementations(new EvaluateStageActivities(runtime));
            if (heartbeat != null) {
                env.setHeartbeatDetails(heartbeat);
            }
            return env.newActivityStub(EvaluateStage.class, ActivityOptions.newBuilder()
                    .setStartToCloseTimeout(Duration.ofMinutes(5)).build()).evaluate(input);
        } finally {
            env.close();
        }
    }

    @Test
    void bitsPerByteAndTheBundledSuiteAreMeasuredAndRecordedAgainstTheModel() {
        StageOutput out = evaluate(null);
        double bpb = out.summary().get("held-out.bits_per_byte");
        assertTrue(bpb > 0 && bpb < 20, "bits per byte " + bpb);
        for (String key : List.of("arithmetic.exact_match", "copy.exact_match", "cloze.acc", "cloze.acc_norm", "cloze.acc_uncond")) {
            assertTrue(out.summary().containsKey(key), key + " in " + out.summary().keySet());
        }
        List<EvaluationResult> recorded = runtime.ledger().metrics().evaluations("eval-" + runs);
        assertEquals(out.summary().size(), recorded.size());
        assertTrue(recorded.stream().allMatch(r -> r.model().equals(inputs.get("model").digest())));
        assertEquals(bpb, recorded.stream().filter(r -> r.task().equals("held-out")).findFirst().orElseThrow().value());
    }

    /**
     * The same spec scores the same: two runs of the stage on the same model, corpus and options generate the same
     * bundled suite and record the same value, count and standard error for every task and metric, to the last bit.
     */
    @Test
    void theSameSpecScoresTheSameInTwoRuns() {
        StageOutput first = evaluate(null);
        List<String> firstRecorded = recorded("eval-" + runs);
        StageOutput second = evaluate(null);
        List<String> secondRecorded = recorded("eval-" + runs);
        assertEquals(first.summary(), second.summary());
        assertEquals(firstRecorded, secondRecorded);
        assertTrue(firstRecorded.size() >= 6, "the suite's metrics and bits per byte: " + firstRecorded);
        System.out.printf("bundled suite determinism: %d figures equal in two runs%n", firstRecorded.size());
    }

    /** A run's recorded evaluation figures, each as task, metric, value, count and standard error, in order. */
    private static List<String> recorded(String runId) {
        return runtime.ledger().metrics().evaluations(runId).stream()
                .map(r -> r.task() + "/" + r.metric() + "=" + Double.toHexString(r.value()) + " n=" + r.n()
                        + " stderr=" + (r.stderr() == null ? "-" : Double.toHexString(r.stderr())))
                .sorted().toList();
    }

    /**
     * A suite inside the roots whose task files, or whose tasks' data files, lie outside them: reached by
     * {@code ..}, a symbolic link, {@code /proc}, lmforge's data folder or another team's root. The worker opens
     * each one through the source roots, so every probe fails as bad input naming the suite's field, and no
     * error quotes what the file holds; the same suite run by the team that owns the root is scored.
     */
    @Test
    void aSuiteCannotReachOutsideTheRootsThroughItsTaskOrDataFiles() throws Exception {
        String secret = "red-team-secret-" + System.nanoTime();
        Path redRoot = Files.createDirectories(Path.of("target", "red-root-" + System.nanoTime()).toAbsolutePath());
        Files.writeString(redRoot.resolve("sums.jsonl"), "{\"q\": \"1+1\", \"a\": \"2\", \"s\": \"" + secret
                + "\"}\n{\"q\": \"2+2\", \"a\": \"4\"}\n");
        Path redTask = Files.writeString(redRoot.resolve("sums.yaml"), task("sums.jsonl"));
        UserStore teams = new UserStore(runtime.ledger().jdbc());
        teams.createTeam("red");
        teams.createTeam("blue");
        teams.setSourceRoots("red", List.of(redRoot.toString()));
        Path stackFile;
        try (var files = Files.walk(dir.resolve("stack"))) {
            stackFile = files.filter(Files::isRegularFile).findFirst().orElseThrow();
        }

        Path suites = Files.createDirectories(dir.resolve("suites-" + System.nanoTime()));
        Files.writeString(suites.resolve("own.jsonl"), "{\"q\": \"3+3\", \"a\": \"6\"}\n{\"q\": \"1+2\", \"a\": \"3\"}\n");
        Files.createSymbolicLink(suites.resolve("linked.yaml"), redTask);
        Files.createSymbolicLink(suites.resolve("linked.jsonl"), redRoot.resolve("sums.jsonl"));
        Map<String, String> taskFiles = new LinkedHashMap<>();
        taskFiles.put("a .. to a system file", "../".repeat(20) + "etc/passwd");
        taskFiles.put("a symbolic link to another team's task", "linked.yaml");
        taskFiles.put("/proc", "/proc/self/environ");
        taskFiles.put("lmforge's data folder", stackFile.toString());
        taskFiles.put("another team's root", redTask.toString());
        Map<String, String> dataFiles = new LinkedHashMap<>();
        dataFiles.put("data by a symbolic link to another team's", "linked.jsonl");
        dataFiles.put("data by a .. into another team's root", suites.relativize(redRoot.resolve("sums.jsonl")).toString());
        dataFiles.put("data in /proc", "/proc/self/environ");

        List<String> probes = new java.util.ArrayList<>();
        int i = 0;
        for (Map.Entry<String, String> probe : taskFiles.entrySet()) {
            Path suite = Files.writeString(suites.resolve("suite-" + i++ + ".yaml"),
                    "name: hostile\ntasks: [\"" + probe.getValue() + "\"]\n");
            probes.add(probe.getKey() + "=" + suite);
        }
        for (Map.Entry<String, String> probe : dataFiles.entrySet()) {
            Path suite = Files.writeString(suites.resolve("suite-" + i + ".yaml"),
                    "name: hostile\ntasks: [task-" + i + ".yaml]\n");
            Files.writeString(suites.resolve("task-" + i++ + ".yaml"), task(probe.getValue()));
            probes.add(probe.getKey() + "=" + suite);
        }
        int refused = 0;
        for (String probe : probes) {
            String name = probe.substring(0, probe.indexOf('='));
            String suite = probe.substring(probe.indexOf('=') + 1);
            ActivityFailure failure = assertThrows(ActivityFailure.class, () -> evaluate(null, "blue",
                    new EvaluationOptions(List.of("small", suite), 8, null, 4)), name);
            ApplicationFailure cause = (ApplicationFailure) failure.getCause();
            assertEquals(StageFailures.INVALID_INPUT, cause.getType(), name + ": " + cause.getOriginalMessage());
            assertTrue(cause.getOriginalMessage().startsWith("evaluation.suites[1]"), name + ": " + cause.getOriginalMessage());
            for (String leak : List.of(secret, "root:x:0", "PATH=")) {
                assertFalse(cause.getOriginalMessage().contains(leak), name + " leaks: " + cause.getOriginalMessage());
            }
            refused++;
        }
        System.out.printf("hostile suites: %d probes, %d refused by field%n", probes.size(), refused);

        Path own = Files.writeString(suites.resolve("own.yaml"), task("own.jsonl"));
        StageOutput blues = evaluate(null, "blue", new EvaluationOptions(List.of(own.toString()), 8, null, 4));
        assertTrue(blues.summary().containsKey("sums.exact_match"), blues.summary().toString());
        StageOutput reds = evaluate(null, "red", new EvaluationOptions(List.of(suites.resolve("suite-4.yaml").toString()),
                8, null, 4));
        assertTrue(reds.summary().containsKey("sums.exact_match"), "red reads its own root: " + reds.summary());
    }

    private static String task(String data) {
        return "name: sums\ntype: generate\ndata: \"" + data + "\"\nprompt: \"{{q}}=\"\ntarget: \"{{a}}\"\n"
                + "delimiter: \"\"\nanswer_parser: number\nmax_new_tokens: 2\nmetrics: [exact_match]\n";
    }

    @Test
    void aRetryKeepsTheTasksItsPredecessorFinished() {
        MetricResult given = new MetricResult(EvaluateStageActivities.HELD_OUT_TASK, BitsPerByte.METRIC, 42.0, 7, null);
        MetricResult arithmetic = new MetricResult("arithmetic", "exact_match", 0.123, 8, 0.1);
        StageOutput out = evaluate(JSON.valueToTree(List.of(given, arithmetic)));
        assertEquals(42.0, out.summary().get("held-out.bits_per_byte"));
        assertEquals(0.123, out.summary().get("arithmetic.exact_match"));
        assertTrue(out.summary().containsKey("copy.exact_match"));
    }
}
