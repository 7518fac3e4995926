package dev.lmforge.web;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.List;

/**
 * The small model that the serving tests ask: a run of data, tokenizer, plan and pretrain at a tiny budget, with a
 * context of {@value #CONTEXT} tokens, trained by the in-process compute worker of the test's local stack.
 */
public final class ServingModel {

    /** The context of the model, in tokens. */
    public static final int CONTEXT = 32;

    private ServingModel() {
    }

    /** Submits the run as the user of {@code token}, waits for it to succeed and returns it as the API shows it. */
    public static JsonPath train(String token) {
        AccessControlTest.yamlIsText();
        String spec = "name: serving\nstages: [data, tokenizer, plan, pretrain]\ncorpus:\n  sources:\n    - path: "
                + LifecycleApiTest.CORPUS + "\ntokenizer:\n  vocabSize: 512\ncompute:\n  budget: 3.0e10\n"
                + "plan:\n  seqLen: " + CONTEXT + "\n";
        String id = AccessControlTest.submit(token, spec);
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        JsonPath run = run(token, id);
        while (!List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(run.getString("status"))) {
            assertTrue(System.nanoTime() < deadline, "the run did not end: " + run.prettify());
            LifecycleApiTest.sleep(500);
            run = run(token, id);
        }
        assertEquals("SUCCEEDED", run.getString("status"), run.prettify());
        return run;
    }

    private static JsonPath run(String token, String id) {
        return given().header("Authorization", "Bearer " + token).get("/api/runs/" + id).then().statusCode(200)
                .extract().jsonPath();
    }
}
