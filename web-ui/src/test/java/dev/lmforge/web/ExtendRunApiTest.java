package dev.lmforge.web;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lmforge.services.ledger.UserStore;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Extending a finished pretraining to a larger budget (POST /api/runs/{id}/extend) on the real local stack with
 * the in-process compute worker: previewed, refused where it must be, then launched and resumed at the
 * multi-step boundary.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, restrictToAnnotatedClass = true)
public class ExtendRunApiTest {

    /** The {@code small} template's first four stages: a pretraining of a few seconds on 2 cores. */
    public static final String PRETRAIN = "name: extend-test\nstages: [data, tokenizer, plan, pretrain]\ncorpus:\n  sources:\n"
            + "    - path: " + LifecycleApiTest.CORPUS + "\ntokenizer:\n  vocabSize: 512\ncompute:\n  budget: 3.0e10\n"
            + "plan:\n  seqLen: 32\n";

    @Inject
    UserStore users;

    @BeforeAll
    static void yamlIsText() {
        AccessControlTest.yamlIsText();
    }

    @BeforeEach
    void asAdmin() {
        AdminToken.useFor(users, "ExtendRunApiTest");
    }

    @AfterEach
    void signOut() {
        AdminToken.forget();
    }

    static io.restassured.response.Response extend(String id, Object budget, boolean dryRun) {
        return given().contentType("application/json").body(budget == null ? Map.of() : Map.of("budget", budget))
                .queryParam("dryRun", dryRun).post("/api/runs/" + id + "/extend");
    }

    @Test
    void aFinishedPretrainingIsPreviewedThenExtendedFromItsBoundaryCheckpoint() {
        String old = LifecycleApiTest.submit(PRETRAIN);
        JsonPath done = LifecycleApiTest.awaitStatus(old, "SUCCEEDED");
        String checkpoint = done.getString("stages.find { it.stage == 'pretrain' }.outputs.'boundary-checkpoint'");
        long oldSteps = Math.round(done.getDouble("stages.find { it.stage == 'pretrain' }.summary.steps"));

        // Refused: a budget not above the current one, none at all, and a run without a pretraining.
        extend(old, 3.0e10, true).then().statusCode(400).contentType(containsString("application/problem+json"))
                .body("errors.field", equalTo(List.of("budget")));
        extend(old, null, true).then().statusCode(400).body("errors.field", equalTo(List.of("budget")));
        String planOnly = LifecycleApiTest.submit(PRETRAIN.replace(", pretrain]", "]"));
        LifecycleApiTest.awaitStatus(planOnly, "SUCCEEDED");
        extend(planOnly, 6.0e10, true).then().statusCode(409).contentType(containsString("application/problem+json"))
                .body("detail", containsString("no finished pretrain stage"));
        extend("run-nope", 6.0e10, true).then().statusCode(404);

        // The preview: same model and batch, the first 80 % of the old steps reused, the rest of the new budget new.
        JsonPath preview = extend(old, 6.0e10, true).then().statusCode(200).extract().jsonPath();
        assertNull(preview.get("runId"));
        assertEquals(checkpoint, preview.getString("checkpoint"));
        assertEquals(oldSteps, preview.getLong("previousSteps"));
        long reused = preview.getLong("reusedSteps");
        assertEquals(Math.round(0.8 * oldSteps), reused, preview.prettify());
        long steps = preview.getLong("steps");
        assertTrue(steps > oldSteps * 3 / 2 && steps <= oldSteps * 2 + 1, "twice the budget, about twice the steps: "
                + preview.prettify());
        assertEquals(steps - reused, preview.getLong("newSteps"));
        assertTrue(Math.abs(preview.getDouble("compute") / 6.0e10 - 1) < 0.05, preview.prettify());
        // A dry run starts and audits nothing.
        given().queryParam("limit", 500).get("/api/audit").then().statusCode(200)
                .body("items.action", not(hasItem("run.extend")));

        // Launched: a new run whose pretraining resumes at the boundary and trains to the previewed steps.
        String extended = extend(old, 6.0e10, false).then().statusCode(200).extract().path("runId");
        JsonPath run = LifecycleApiTest.awaitStatus(extended, "SUCCEEDED");
        assertEquals(checkpoint, run.getString("spec.training.extendFrom"));
        assertEquals(6.0e10, run.getDouble("spec.compute.budget"));
        assertEquals(reused, Math.round(run.getDouble("stages.find { it.stage == 'pretrain' }.summary.resumedFromStep")),
                run.prettify());
        assertEquals(steps, Math.round(run.getDouble("stages.find { it.stage == 'pretrain' }.summary.steps")), run.prettify());
        assertEquals("REUSED", run.getString("stages.find { it.stage == 'data' }.status"));
        given().queryParam("target", extended).get("/api/audit").then().statusCode(200)
                .body("items.find { it.action == 'run.extend' }.details", containsString(old));
    }
}
