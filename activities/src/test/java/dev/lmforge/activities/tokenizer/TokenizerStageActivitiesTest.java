package dev.lmforge.activities.tokenizer;

import dev.lmforge.activities.RealStageRuntime;
import dev.lmforge.activities.StageRuntime;
import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.text.CorpusManifest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.services.ledger.Records.NewRun;
import dev.lmforge.workflows.spec.LifecycleSpec;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.StageInput;
import dev.lmforge.workflows.stage.StageOutput;
import dev.lmforge.workflows.stage.TokenizerStage;
import dev.lmforge.workflows.stage.TokenizerStageConfig;
import io.temporal.activity.ActivityOptions;
import io.temporal.testing.TestActivityEnvironment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tokenizer stage against a real PostgreSQL and S3 server (the local stack), run through Temporal's
 * activity test environment: the shard index's totals are the corpus's token counts, and a retry that finds
 * the trained tokenizer in its heartbeat details reuses it.
 */
class TokenizerStageActivitiesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> DOCUMENTS = List.of(
            "The quick brown fox jumps over the lazy dog 12345.",
            "Debian 软件包管理 使用 apt 和 dpkg。",
            "Line one\nLine two\n\n  indented 🙂 emoji");

    @TempDir
    static Path dir;
    static RealStageRuntime stack;
    static StageRuntime runtime;

    @BeforeAll
    static void start() {
        stack = new RealStageRuntime(dir);
        runtime = stack.runtime();
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    private StageInput input(String runId) throws Exception {
        StringBuilder part = new StringBuilder();
        for (String text : DOCUMENTS) {
            part.append(JSON.writeValueAsString(Map.of("id", "d" + part.length(), "text", text))).append('\n');
        }
        var stored = runtime.artifacts().put(part.toString().getBytes(StandardCharsets.UTF_8));
        runtime.ledger().artifacts().recordArtifact(stored.digest(), "corpus-part", stored.sizeBytes(), "{}");
        CorpusManifest manifest = new CorpusManifest(CorpusManifest.FORMAT, DOCUMENTS.size(), 0, 0, List.of(),
                List.of(new CorpusManifest.Part("raw-0000", "d", stored.digest(), stored.sizeBytes(), DOCUMENTS.size(), 0, 0)));
        var corpus = runtime.artifacts().put(JSON.writeValueAsBytes(manifest));
        runtime.ledger().artifacts().recordArtifact(corpus.digest(), "corpus", corpus.sizeBytes(), "{}");
        runtime.ledger().runs().createRun(new NewRun(runId, "t", null, "alice", "{}", "", List.of(), null));
        long row = runtime.ledger().runs().beginStage(runId, "tokenizer", 1, "key-" + runId, "{}", Map.of("corpus", corpus.digest()), null);
        JsonNode config = JSON.valueToTree(new TokenizerStageConfig(new LifecycleSpec.TokenizerOptions(300, null, 16L)));
        return new StageInput(runId, row, "tokenizer", config, Map.of("corpus", new ArtifactRef(corpus.digest(), "corpus", corpus.sizeBytes())));
    }

    private static TokenizerStage stub(TestActivityEnvironment env) {
        env.registerActivitiesImplementations(new TokenizerStageActivities(runtime));
        return env.newActivityStub(TokenizerStage.class, ActivityOptions.newBuilder()
                .setStartToCloseTimeout(Duration.ofMinutes(2)).build());
    }

    @Test
    void theShardIndexTotalsAreTheCorpusTokenCounts() throws Exception {
        TestActivityEnvironment env = TestActivityEnvironment.newInstance();
        try {
            StageOutput out = stub(env).tokenize(input("run-tok-1"));
            Path tokenizerFile = dir.resolve("tokenizer.json");
            runtime.artifacts().download(out.outputs().get("tokenizer").digest(), tokenizerFile);
            BpeTokenizer tokenizer = BpeTokenizer.load(tokenizerFile);
            long expected = 0;
            for (String text : DOCUMENTS) {
                int[] ids = tokenizer.encode(text);
                assertEquals(text, tokenizer.decode(ids));
                expected += ids.length + 1; // each document ends with <|eos|>
            }
            JsonNode shards = JSON.readTree(runtime.artifacts().readAllBytes(out.outputs().get("tokens").digest()));
            assertEquals(expected, shards.at("/index/tokens").asLong());
            assertEquals(DOCUMENTS.size(), shards.at("/index/documents").asLong());
            assertEquals(expected, out.summary().get("tokens").longValue());
            long inFiles = 0;
            List<String> names = new ArrayList<>();
            shards.get("files").fieldNames().forEachRemaining(names::add);
            assertTrue(names.size() > 1, "16 tokens per shard makes several shards");
            for (String name : names) {
                inFiles += runtime.artifacts().size(shards.get("files").get(name).asText()).orElseThrow() / 2; // uint16
            }
            assertEquals(expected, inFiles);
        } finally {
            env.close();
        }
    }

    @Test
    void aRetryWithTheTokenizerInItsCheckpointDoesNotTrainAgain() throws Exception {
        TestActivityEnvironment first = TestActivityEnvironment.newInstance();
        StageOutput trained;
        try {
            trained = stub(first).tokenize(input("run-tok-2"));
        } finally {
            first.close();
        }
        // Hand the retry a tokenizer that differs from what training would make: it must be used as is.
        BpeTrainer otherTrainer = new BpeTrainer(280);
        otherTrainer.addText("completely different text, different merges, different merges again");
        BpeTokenizer otherTokenizer = otherTrainer.train();
        Path other = otherTokenizer.save(dir.resolve("other"));
        String otherDigest = runtime.artifacts().put(other).digest();
        TestActivityEnvironment retry = TestActivityEnvironment.newInstance();
        try {
            retry.setHeartbeatDetails(new TokenizerStageActivities.Checkpoint(otherDigest));
            StageOutput resumed = stub(retry).tokenize(input("run-tok-3"));
            assertEquals(otherDigest, resumed.outputs().get("tokenizer").digest());
            assertTrue(!trained.outputs().get("tokenizer").digest().equals(otherDigest));
            assertEquals(otherTokenizer.vocabularySize(), resumed.summary().get("vocabSize").intValue());
        } finally {
            retry.close();
        }
        assertTrue(Files.exists(other));
    }
}
