package dev.lmforge.web;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.web.temporal.ControlPlane;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.workflow.v1.PendingActivityInfo;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Cancel of each kind of stage, on the real stack with the real Temporal server and the in-process compute
 * worker: each run is made long in the stage under test (a read throttled to the slowest rate, a large
 * vocabulary stored in thousands of small shards, a sweep, a large budget, many evaluation items, many SFT or
 * DPO epochs) and cancelled once that stage works; the run and the stage end CANCELLED (never INTERRUPTED or
 * FAILED) within seconds, which under {@code WAIT_CANCELLATION_COMPLETED} means the worker's activity has
 * returned, and no attempt is left running.
 * The stages before the one under test are shared by all runs through the ledger's cache.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, restrictToAnnotatedClass = true)
class StageCancelTest {

    /** Token ids per shard in the tokenizer case: the sample corpus makes thousands of shards to store. */
    private static final int TOKENIZER_SHARD_TOKENS = 100;
    /** What "within seconds" means here, from the cancel request to the run's CANCELLED, on a busy 2-core machine. */
    private static final Duration STOPPED_WITHIN = Duration.ofSeconds(15);
    /** The stages before the one under test, as every run spells them, so that they are reused from the cache. */
    private static final String PREFIX = "corpus:\n  sources:\n    - path: " + LifecycleApiTest.CORPUS
            + "\ntokenizer:\n  vocabSize: 512\nplan:\n  seqLen: 32\ntraining:\n  threads: 1\n";

    @Inject
    UserStore users;
    @Inject
    ControlPlane controlPlane;

    @BeforeAll
    static void yamlIsText() {
        AccessControlTest.yamlIsText();
    }

    @BeforeEach
    void asAdmin() {
        AdminToken.useFor(users, "StageCancelTest");
    }

    @AfterEach
    void signOut() {
        AdminToken.forget();
    }

    /** The stage kind, the stage row it runs in, the stages of its run, what makes it long, the heartbeat it shows. */
    static Stream<Arguments> kinds() {
        String small = "compute:\n  budget: 5.0e10\n";
        String upToPretrain = "[data, tokenizer, plan, pretrain";
        return Stream.of(
                Arguments.of("data", "data", "[data]", "corpus:\n  sources:\n    - path: " + LifecycleApiTest.CORPUS
                        + "\ndata:\n  maxBytesPerSecond: 65536\n" + small, null),
                // The sample corpus trains and encodes in a few seconds, which a cancel can miss; in shards of 100
                // tokens the stage then stores thousands of them, each a heartbeat apart, for far longer. Cancelled
                // once the trained tokenizer's digest is heartbeated: while it encodes or stores the shards.
                Arguments.of("tokenizer", "tokenizer", "[data, tokenizer]", small + PREFIX.replace("vocabSize: 512",
                        "vocabSize: 60000\n  tokensPerShard: " + TOKENIZER_SHARD_TOKENS), "\"tokenizerDigest\""),
                Arguments.of("plan sweep", "plan", "[data, tokenizer, plan]", small + PREFIX.replace("seqLen: 32\n",
                        "seqLen: 32\n  sweep:\n    kind: hyperparameters\n    budgets: [1.0e10, 2.0e10, 4.0e10]\n"
                                + "    batchSizes: 4\n    learningRates: 4\n"), null),
                Arguments.of("pretrain", "pretrain", upToPretrain + "]", "compute:\n  budget: 5.0e13\n" + PREFIX, null),
                Arguments.of("evaluate", "evaluate-base", upToPretrain + ", evaluate-base]",
                        small + PREFIX + "evaluation:\n  suites: [small]\n  items: 700\n", null),
                Arguments.of("sft", "align", upToPretrain + ", align]", small + PREFIX + "sft:\n  epochs: 100000\n",
                        "\"phase\":\"sft\""),
                Arguments.of("dpo", "align", upToPretrain + ", align]",
                        small + PREFIX + "sft:\n  epochs: 1\ndpo:\n  epochs: 100000\n", "\"phase\":\"dpo\""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void aCancelledStageStopsWithinSecondsAndTheRunIsCancelled(String kind, String stage, String stages, String extra,
                                                               String heartbeat) throws Exception {
        JsonPath done = cancelOnce(kind, stage, stages, extra, heartbeat);
        assertEquals("CANCELLED", done.getString("status"), done.prettify());
        assertEquals("CANCELLED", stageOf(done, stage).get("status"), done.prettify());
        assertTrue(!hasRunningAttempt(stageOf(done, stage)), "no attempt left running: " + done.prettify());
    }

    /** Submits the run, cancels it while {@code stage} works, and answers the run as it ended. */
    private JsonPath cancelOnce(String kind, String stage, String stages, String extra, String heartbeat)
            throws Exception {
        String id = LifecycleApiTest.submit("name: cancel-" + kind.replace(' ', '-') + "\nstages: " + stages + "\n"
                + extra);
        // Working: the stage's activity runs on the worker (the sweep's probes before the plan's own activity).
        JsonPath running = LifecycleApiTest.await(id, r -> "RUNNING".equals(stageOf(r, stage).get("status"))
                && (stage.equals("plan") || hasRunningAttempt(stageOf(r, stage))), kind + " running");
        Thread.sleep(2000);
        if (heartbeat != null) {
            awaitHeartbeat(running.getString("workflowId"), heartbeat, kind);
        }
        assertEquals("RUNNING", LifecycleApiTest.run(id).getString("status"), kind + " must still run when cancelled");
        long cancelled = System.nanoTime();
        given().post("/api/runs/" + id + "/cancel").then().statusCode(200);
        JsonPath done = LifecycleApiTest.await(id, r -> !"RUNNING".equals(r.getString("status")), kind + " ended");
        Duration took = Duration.ofNanos(System.nanoTime() - cancelled);
        System.out.printf("cancel of %s: run %s after %d ms%n", kind, done.getString("status"), took.toMillis());
        assertTrue(took.compareTo(STOPPED_WITHIN) < 0, kind + " took " + took.toMillis() + " ms to stop");
        return done;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> stageOf(JsonPath run, String stage) {
        List<Map<String, Object>> stages = run.getList("stages");
        return stages.stream().filter(s -> stage.equals(s.get("stage"))).findFirst().orElse(Map.of());
    }

    @SuppressWarnings("unchecked")
    private static boolean hasRunningAttempt(Map<String, Object> stage) {
        List<Map<String, Object>> attempts = (List<Map<String, Object>>) stage.get("attempts");
        return attempts != null && attempts.stream().anyMatch(a -> "RUNNING".equals(a.get("status")));
    }

    /** Waits until the workflow's pending activity has heartbeated details containing {@code text}. */
    private void awaitHeartbeat(String workflowId, String text, String kind) throws InterruptedException {
        Predicate<List<PendingActivityInfo>> seen = pending -> pending.stream().anyMatch(a -> a.getHeartbeatDetails()
                .getPayloadsList().stream().map(Payload::getData).anyMatch(d -> d.toString(StandardCharsets.UTF_8)
                        .contains(text)));
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!seen.test(pending(workflowId))) {
            assertTrue(System.nanoTime() < deadline, kind + ": no heartbeat with " + text);
            Thread.sleep(250);
        }
    }

    private List<PendingActivityInfo> pending(String workflowId) {
        return controlPlane.client().getWorkflowServiceStubs().blockingStub().describeWorkflowExecution(
                DescribeWorkflowExecutionRequest.newBuilder().setNamespace(controlPlane.client().getOptions().getNamespace())
                        .setExecution(WorkflowExecution.newBuilder().setWorkflowId(workflowId)).build())
                .getPendingActivitiesList();
    }
}
