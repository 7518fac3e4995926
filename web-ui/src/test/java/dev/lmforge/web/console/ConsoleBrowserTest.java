package dev.lmforge.web.console;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.both;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Mouse;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.LocatorAssertions;
import com.microsoft.playwright.options.BoundingBox;
import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.Records.EvaluationResult;
import dev.lmforge.services.ledger.Records.MetricPoint;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.web.AdminToken;
import dev.lmforge.web.ConsoleBrowser;
import dev.lmforge.web.LocalStackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.config.EncoderConfig;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.math.BigInteger;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The console in a real browser (Debian's chromium through Playwright) against the real local stack, with the
 * in-process compute worker running the stages. Every page is saved under {@code target/screenshots/}.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, restrictToAnnotatedClass = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class) // each test stands alone; the order only fills later screenshots
class ConsoleBrowserTest {

    static final String CORPUS = Path.of("../samples/corpus").toAbsolutePath().normalize().toString();
    static final double LONG_WAIT_MS = Duration.ofSeconds(120).toMillis();

    static ConsoleBrowser browser;

    /** A viewer of the admin's default team, made once; the admin's password is read from the first start's file. */
    static final String VIEWER = "vera";
    static final String VIEWER_PASSWORD = "viewer-password-1";

    @TestHTTPResource("/")
    URL base;
    @Inject
    UserStore users;
    @Inject
    Ledger ledger;
    @ConfigProperty(name = "lmforge.data-dir")
    String dataDir;

    Page page;

    @BeforeAll
    static void startBrowser() {
        RestAssured.config = RestAssured.config().encoderConfig(
                EncoderConfig.encoderConfig().encodeContentTypeAs("application/yaml", ContentType.TEXT));
        browser = ConsoleBrowser.launch();
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.close();
        }
    }

    @BeforeEach
    void openPageSignedIn() {
        AdminToken.useFor(users, "ConsoleBrowserTest");
        if (users.user(VIEWER).isEmpty()) {
            users.createUser(VIEWER, VIEWER_PASSWORD, UserStore.Role.VIEWER, List.of("default"));
        }
        page = browser.signedIn(base.toString(), "admin", ConsoleBrowser.adminPassword(Path.of(dataDir)));
    }

    @AfterEach
    void closePage() {
        page.context().close();
        AdminToken.forget();
        assertEquals(List.of(), browser.policyViolations(), "the pages must work under their Content-Security-Policy");
    }

    void signIn(String user, String password) {
        ConsoleBrowser.signIn(page, user, password);
    }

    static String spec(String name, String extra) {
        return "name: " + name + "\nstages: [data, tokenizer, plan]\ncorpus:\n  sources:\n    - path: " + CORPUS
                + "\ntokenizer:\n  vocabSize: 2000\ncompute:\n  budget: 1.0e15\n" + extra;
    }

    static String submit(String yaml) {
        return given().contentType("application/yaml").body(yaml).post("/api/runs").then().statusCode(201).extract().path("id");
    }

    static void awaitStatus(String id, String status) {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        String now;
        while (!status.equals(now = given().get("/api/runs/" + id).then().statusCode(200).extract().path("status"))) {
            assertTrue(System.nanoTime() < deadline, "run " + id + " is " + now + ", never " + status);
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    void open(String path) {
        page.navigate(path);
    }

    void screenshot(String name) {
        ConsoleBrowser.screenshot(page, name);
    }

    /**
     * The launch page's {@code small} template (all seven stages at a tiny budget), previewed, submitted and
     * watched to the end without a reload; then the lineage walked from the aligned model up to the raw dumps, and
     * from a dump down to the models made from it.
     */
    @Test
    @Order(1)
    void theSmallTemplateLaunchedFromTheFormRunsAllSevenStagesLiveAndTheFinalModelsLineageReachesTheDumps() {
        open("/launch.html");
        Locator editor = page.locator("#spec");
        assertThat(editor).hasValue(Pattern.compile("name: demo.*evaluate-chat", Pattern.DOTALL));
        page.locator("[data-template=small]").click();
        String small = editor.inputValue().replace("path: samples/corpus", "path: " + CORPUS);
        editor.fill(small.replace("budget: 3.0e10", "budget: -5"));
        assertThat(page.locator("#validation [data-field='compute.budget']")).isVisible();
        assertThat(page.locator("#submit")).isDisabled();
        screenshot("launch-invalid");
        editor.fill(small);
        assertThat(page.locator("#validation [data-valid=true]")).isVisible();
        page.locator("#preview").click();
        assertThat(page.locator("#plan table[data-plan]")).containsText("wall time");
        assertThat(page.locator("#plan table[data-plan]")).containsText("layers");
        screenshot("launch");
        page.locator("#submit").click();
        page.waitForURL("**/run.html?id=*");
        page.evaluate("window.sameDocument = true");

        // Watch the stage boxes change without a reload until the run succeeds.
        List<String> seen = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(300).toNanos();
        while (!"SUCCEEDED".equals(page.locator("#status").getAttribute("data-status"))) {
            String states = ConsoleBrowser.stageStates(page);
            if (seen.isEmpty() || !seen.get(seen.size() - 1).equals(states)) {
                seen.add(states);
            }
            assertTrue(System.nanoTime() < deadline, "the run never succeeded on its page; seen " + seen);
            assertTrue(!"FAILED".equals(page.locator("#status").getAttribute("data-status")), "the run failed; seen " + seen);
            page.waitForTimeout(200);
        }
        seen.add(ConsoleBrowser.stageStates(page));
        assertEquals("data=SUCCEEDED tokenizer=SUCCEEDED plan=SUCCEEDED pretrain=SUCCEEDED evaluate-base=SUCCEEDED "
                + "align=SUCCEEDED evaluate-chat=SUCCEEDED", seen.get(seen.size() - 1));
        assertTrue(seen.size() >= 5, "the stage boxes should change as the run goes: " + seen);
        assertEquals(true, page.evaluate("window.sameDocument"), "the page was reloaded");
        assertTrue(Integer.parseInt(page.locator("body").getAttribute("data-events")) >= 5, "views pushed by the server");
        assertThat(page.locator("#attempts tbody tr")).hasCount(7);
        assertThat(page.locator("#report")).containsText("removedAcrossDumps");
        assertLaidOut("#stage-graph");
        assertThat(page.locator("#stage-graph .edge path[marker-end]").first()).isAttached();
        assertEquals(true, page.evaluate("() => { const svg = document.querySelector('#stage-graph svg');"
                + " return svg.viewBox.baseVal.width >= +svg.dataset.width - 0.5"
                + " && svg.getBoundingClientRect().right <= document.documentElement.clientWidth; }"),
                "the whole stage graph is in view, nothing cut off at the right");
        assertThat(page.locator("#chart-loss canvas")).isVisible();
        // Alignment's losses and its held-out figures before and after DPO, charted like pretraining's.
        for (String name : List.of("sft_loss", "dpo_loss")) {
            assertThat(page.locator("#chart-" + name + " canvas")).isVisible();
            assertTrue(Integer.parseInt(page.locator("#chart-" + name).getAttribute("data-points")) > 1, name);
        }
        for (String name : List.of("reward_margin", "preference_accuracy")) {
            assertThat(page.locator("#chart-" + name)).hasAttribute("data-points", "2");
        }
        assertThat(page.locator("[data-evaluation-stage=evaluate-chat] table.evaluation tbody tr").first()).isVisible();
        screenshot("run-succeeded");
        // The pretrain attempt's log, opened under its row: what its worker captured, complete once it ended.
        page.locator("[data-log-toggle='pretrain/1']").click();
        Locator log = page.locator("pre[data-log='pretrain/1']");
        assertThat(log).hasAttribute("data-complete", "true");
        assertThat(log).containsText("pretrain attempt 1 of run");
        assertThat(log).containsText("pretrain: trained");
        ConsoleBrowser.screenshot(page.locator("#attempts"), "run-attempt-log");
        page.locator("[data-log-toggle='pretrain/1']").click();
        assertThat(log).hasCount(0);
        ConsoleBrowser.screenshot(page.locator("#charts-section"), "run-succeeded-charts");
        ConsoleBrowser.screenshot(page.locator("#align-charts-section"), "run-succeeded-alignment");
        for (int width : new int[] {1280, 1920}) {
            page.setViewportSize(width, 900);
            ConsoleBrowser.screenshot(page.locator("#stage-graph"), "run-succeeded-stages-" + width);
        }
        page.setViewportSize(1360, 900);
        ConsoleBrowser.screenshot(page.locator("#evaluations-section"), "run-succeeded-evaluations");

        page.locator("[data-stage-card=align] [data-artifacts=outputs] tr[data-name=model] a[href^='/artifact.html']").click();
        page.waitForURL("**/artifact.html?d=*");
        assertThat(page.locator("#title")).hasText("model artifact");
        assertThat(page.locator("#up svg")).isVisible();
        assertThat(page.locator("#up [data-kind=raw-dump]")).hasCount(4);
        for (String stage : List.of("data", "tokenizer", "plan", "pretrain", "align")) {
            assertThat(page.locator("#up [data-stage=" + stage + "]")).hasCount(1);
        }
        assertThat(page.locator("#down [data-stage=evaluate-chat]")).hasCount(1);
        assertLaidOut("#up");
        assertLaidOut("#down");
        // The upstream lineage opens on the model itself; the wheel zooms in about the pointer, a double click
        // goes back to the first view.
        assertEquals(true, page.evaluate("() => { const svg = document.querySelector('#up svg').getBoundingClientRect();"
                + " const root = document.querySelector('#up .node.root').getBoundingClientRect();"
                + " return root.left >= svg.left && root.right <= svg.right; }"), "the model is in view");
        String first = page.locator("#up svg").getAttribute("viewBox");
        page.locator("#up .node.root").hover();
        page.mouse().wheel(0, -400);
        assertThat(page.locator("#up svg")).not().hasAttribute("viewBox", first);
        double zoomed = Double.parseDouble(page.locator("#up svg").getAttribute("viewBox").split(" ")[2]);
        assertTrue(zoomed < Double.parseDouble(first.split(" ")[2]), "zoomed in: " + first + " to width " + zoomed);
        page.locator("#up svg").dblclick(new Locator.DblclickOptions().setPosition(2, 2));
        assertThat(page.locator("#up svg")).hasAttribute("viewBox", first);
        for (int width : new int[] {1280, 1920}) {
            page.setViewportSize(width, 900);
            screenshot("artifact-model-" + width);
        }
        page.setViewportSize(1360, 900);
        screenshot("artifact-model");
        // Wheeling out shows the whole lineage, the dumps at its left end included.
        page.locator("#up svg").hover();
        page.mouse().wheel(0, 3000);
        page.waitForFunction("() => { const svg = document.querySelector('#up svg');"
                + " return svg.viewBox.baseVal.width >= +svg.dataset.width - 0.5; }");

        page.locator("#up [data-kind=raw-dump]").first().click();
        page.waitForURL("**/artifact.html?d=*");
        assertThat(page.locator("#title")).hasText("raw-dump artifact");
        assertThat(page.locator("#up")).containsText("raw input");
        assertThat(page.locator("#down [data-kind=model]").first()).isVisible();
        screenshot("artifact-raw-dump");
    }

    @Test
    @Order(2)
    void aRunIsCancelledFromItsPageAndTheResumePreviewSaysWhatWouldRerun() {
        String id = submit(spec("console-cancel", "data:\n  maxBytesPerSecond: 300000\n"));
        open("/run.html?id=" + id);
        assertThat(page.locator(".stage-box[data-stage=data]"))
                .hasAttribute("data-status", "RUNNING", new LocatorAssertions.HasAttributeOptions().setTimeout(LONG_WAIT_MS));
        screenshot("run-running");
        page.locator("#cancel").click();
        assertThat(page.locator("#status")).hasAttribute("data-status", "CANCELLED",
                new LocatorAssertions.HasAttributeOptions().setTimeout(LONG_WAIT_MS));
        assertThat(page.locator(".stage-box[data-stage=data]")).hasAttribute("data-status", "CANCELLED");
        assertThat(page.locator("#resume")).isEnabled();
        page.locator("#resume").click();
        assertThat(page.locator("#resume-dialog")).isVisible();
        assertThat(page.locator("#resume-table tr[data-action=run]")).hasCount(3);
        screenshot("run-resume-preview");
        page.locator("#resume-close").click();
        assertEquals(1, (int) given().queryParam("q", "console-cancel").get("/api/runs").then().statusCode(200)
                .extract().path("total"), "the preview started nothing");
    }

    @Test
    @Order(3)
    void theRunsPageFiltersAndSearchesOnTheServer() {
        String plan = "stages: [plan]\ncompute:\n  budget: 1.0e18\n";
        String first = submit("name: zebra-1\n" + plan);
        awaitStatus(first, "SUCCEEDED");
        String second = submit("name: zebra-2\n" + plan);
        submit("name: 50%_off\n" + plan);
        given().queryParam("q", "zebra").get("/api/runs").then().statusCode(200).body("total", equalTo(2));
        given().queryParam("q", "50%_").get("/api/runs").then().statusCode(200).body("total", equalTo(1));
        given().queryParam("q", "5%").get("/api/runs").then().statusCode(200).body("total", equalTo(0));

        open("/");
        assertThat(page.locator("#runs tbody tr[data-run]").first()).isVisible();
        page.locator("#q").fill("zebra");
        assertThat(page.locator("#runs tbody tr")).hasCount(2);
        assertThat(page.locator("#runs tbody tr[data-run='" + first + "'] .chip[data-stage=plan]")).isVisible();
        assertThat(page.locator("#runs tbody tr[data-run='" + first + "'] .chip[data-stage=plan]"))
                .hasClass("chip s-SUCCEEDED", new LocatorAssertions.HasClassOptions().setTimeout(LONG_WAIT_MS));
        page.locator("#q").fill("");
        page.locator("#status").selectOption("CANCELLED");
        page.waitForURL("**/?status=CANCELLED");
        for (String status : page.locator("#runs tbody tr[data-run] td.status").allTextContents()) {
            assertEquals("CANCELLED", status);
        }
        page.locator("#status").selectOption("");
        assertThat(page.locator("#runs tbody tr[data-run]").first()).isVisible();
        screenshot("runs");

        // The same spec again: its stage is a cache hit, and its box names the row and the run it reused.
        page.locator("#runs tbody tr[data-run='" + second + "'] a").first().click();
        Locator box = page.locator(".stage-box[data-stage=plan]");
        assertThat(box).hasAttribute("data-status", "REUSED", new LocatorAssertions.HasAttributeOptions().setTimeout(LONG_WAIT_MS));
        assertThat(box.locator("a[href='/run.html?id=" + first + "']")).isVisible();
        screenshot("run-reused");
    }

    @Test
    @Order(4)
    void theAuditPageListsWhoDidWhatAndReportsTheChainIntact() {
        String id = submit("name: audited\nstages: [plan]\ncompute:\n  budget: 1.0e18\n");
        open("/audit.html");
        assertThat(page.locator("#chain")).hasAttribute("data-intact", "true");
        assertThat(page.locator("#chain")).containsText("chain intact");
        page.locator("#target").fill(id);
        // The submission by admin; the run's state changes by system may be listed beside it.
        assertThat(page.locator("#events tbody tr[data-action='run.submit']")).hasCount(1);
        assertThat(page.locator("#events tbody tr[data-action='run.submit']")).containsText("admin");
        page.locator("#target").fill("");
        int total = given().get("/api/audit").then().statusCode(200).extract().path("total");
        assertThat(page.locator("#range")).hasText("1–" + Math.min(50, total) + " of " + total);
        screenshot("audit");

        given().queryParam("actor", "admin").queryParam("limit", 1).get("/api/audit").then().statusCode(200)
                .body("items.size()", equalTo(1)).body("items[0].actor", equalTo("admin"));
        given().queryParam("limit", 0).get("/api/audit").then().statusCode(400)
                .contentType("application/problem+json").body("detail", containsString("limit"));
        given().get("/api/audit/verify").then().statusCode(200).body("intact", equalTo(true));
    }

    @Test
    @Order(5)
    void specValidationFollowsTheApiRulesAndAnEndedRunStreamsOnce() {
        given().contentType("application/yaml").body(spec("v", "")).post("/api/specs/validate").then().statusCode(200)
                .body("valid", equalTo(true)).body("errors.size()", equalTo(0));
        given().contentType("application/yaml").body(spec("v", "").replace("budget: 1.0e15", "budget: -5") + "colour: red\n")
                .post("/api/specs/validate").then().statusCode(200).body("valid", equalTo(false))
                .body("errors.field", hasItem("colour"));
        given().contentType("application/yaml").body("name: x\nstages: [data, fly]\ncorpus: {sources: [{path: x}]}\n")
                .post("/api/specs/validate").then().statusCode(200).body("errors.field", hasItem("stages[1]"));
        given().get("/api/runs/run-none/events").then().statusCode(404).contentType("application/problem+json");

        // A run that has ended: its stream sends the view once and ends.
        String id = submit("name: streamed\nstages: [plan]\ncompute:\n  budget: 1.0e17\n");
        awaitStatus(id, "SUCCEEDED");
        String stream = given().get("/api/runs/" + id + "/events").then().statusCode(200)
                .contentType(containsString("text/event-stream")).extract().asString();
        assertEquals(1, stream.lines().filter(l -> l.startsWith("data:")).count(), stream);
        assertTrue(stream.contains("\"status\":\"SUCCEEDED\"") && stream.contains("\"id\":\"" + id + "\""), stream);
        given().get("/api/console/stages/987654").then().statusCode(404).contentType("application/problem+json");
    }

    @Test
    @Order(6)
    void aWrongPasswordIsRefusedAndAViewerSeesCancelRefused() {
        page.locator("#sign-out").click();
        page.waitForURL("**/login.html");
        page.locator("#user").fill(VIEWER);
        page.locator("#password").fill("not the password");
        page.locator("#submit").click();
        assertThat(page.locator("#error")).containsText("user or password is wrong");
        screenshot("login-refused");

        String id = submit(spec("viewer-cancel", "data:\n  maxBytesPerSecond: 300000\n"));
        signIn(VIEWER, VIEWER_PASSWORD);
        assertThat(page.locator("#launch")).isHidden();
        open("/run.html?id=" + id);
        assertThat(page.locator(".stage-box[data-stage=data]"))
                .hasAttribute("data-status", "RUNNING", new LocatorAssertions.HasAttributeOptions().setTimeout(LONG_WAIT_MS));
        assertThat(page.locator("#cancel")).isDisabled();
        assertThat(page.locator("#role-note")).isVisible();
        // The page only hides what the server refuses: the same request the button would send is a 403.
        Object refused = page.evaluate("async id => { const me = await (await fetch('/api/session')).json();"
                + " const r = await fetch(`/api/runs/${id}/cancel`, {method: 'POST', headers: {'X-CSRF-Token': me.csrfToken}});"
                + " return r.status + ' ' + (await r.json()).detail; }", id);
        assertTrue(refused.toString().startsWith("403 user 'vera' has role viewer and may not cancel runs"), refused.toString());
        screenshot("run-viewer");
        given().post("/api/runs/" + id + "/cancel").then().statusCode(200);
        awaitStatus(id, "CANCELLED");
    }

    /**
     * Pretraining metrics and evaluation figures written straight into the ledger (a real pretrain is too slow
     * here) for two finished runs: the run page charts them downsampled by the server, shows the evaluation
     * table, and the runs page compares the two side by side.
     */
    @Test
    @Order(7)
    void aRunChartsItsPretrainingAndTwoRunsCompareSideBySide() {
        String first = submit("name: charted-a\nstages: [plan]\ncompute:\n  budget: 1.0e18\n");
        String second = submit("name: charted-b\nstages: [plan]\ncompute:\n  budget: 2.0e18\n");
        awaitStatus(first, "SUCCEEDED");
        awaitStatus(second, "SUCCEEDED");
        seedTraining(first, 3000, 0.0);
        seedTraining(second, 1200, 0.3);

        given().queryParam("points", 100).get("/api/runs/" + first + "/metrics/pretrain/loss").then().statusCode(200)
                .body("size()", both(greaterThan(50)).and(lessThanOrEqualTo(100))).body("[0].step", equalTo(0))
                .body("step", hasItem(2999));
        given().queryParam("points", 1).get("/api/runs/" + first + "/metrics/pretrain/loss").then().statusCode(400)
                .contentType("application/problem+json").body("detail", containsString("points"));
        given().get("/api/runs/run-none/evaluations").then().statusCode(404);
        given().queryParam("run", first).get("/api/compare").then().statusCode(400).body("detail", containsString("run"));

        open("/run.html?id=" + first);
        for (String name : List.of("loss", "learning_rate", "gradient_norm", "tokens_per_second")) {
            assertThat(page.locator("#chart-" + name + " canvas")).isVisible();
            int drawn = Integer.parseInt(page.locator("#chart-" + name).getAttribute("data-points"));
            assertTrue(drawn > 100 && drawn <= 500, name + ": downsampled by the server to " + drawn + " points");
        }
        // Hovering the middle of the loss chart puts the step and loss under the cursor in its legend (the seeded
        // loss is 2 + 8 / sqrt(step + 1): between 2 and 2.5 half way through 3,000 steps).
        Locator value = page.locator("#chart-loss .u-legend .u-series .u-value");
        assertThat(value).hasText("—");
        Locator over = page.locator("#chart-loss .u-over");
        over.scrollIntoViewIfNeeded();
        BoundingBox box = over.boundingBox();
        double middle = box.x + box.width / 2;
        double height = box.y + box.height / 2;
        page.mouse().move(middle, height);
        assertThat(value).hasText(Pattern.compile("^1,[3-6]\\d\\d → 2\\.\\d+$"));
        // Dragging across its left half zooms in on the early steps, so the middle is now about step 750 ...
        page.mouse().move(box.x + 5, height);
        page.mouse().down();
        page.mouse().move(middle, height + 1, new Mouse.MoveOptions().setSteps(5));
        page.mouse().up();
        page.mouse().move(middle - 3, height);
        page.mouse().move(middle, height);
        assertThat(value).hasText(Pattern.compile("^[6-8]\\d\\d → 2\\.\\d+$"));
        // ... and a double click zooms back out.
        over.dblclick();
        page.mouse().move(middle - 3, height);
        page.mouse().move(middle, height);
        assertThat(value).hasText(Pattern.compile("^1,[3-6]\\d\\d → 2\\.\\d+$"));
        Locator table = page.locator("[data-evaluation-stage=evaluate-base] table.evaluation");
        assertThat(table.locator("tbody tr")).hasCount(2);
        assertThat(table.locator("tr[data-task=arithmetic][data-metric=acc]")).containsText("0.75");
        screenshot("run-charts");
        for (int width : new int[] {1280, 1920}) {
            page.setViewportSize(width, 900);
            ConsoleBrowser.screenshot(page.locator("#charts-section"), "run-charts-" + width);
        }
        page.setViewportSize(1360, 900);

        open("/?q=charted-");
        page.locator("#runs tr[data-run='" + first + "'] input.pick").check();
        assertThat(page.locator("#compare")).isDisabled();
        page.locator("#runs tr[data-run='" + second + "'] input.pick").check();
        page.locator("#compare").click();
        page.waitForURL("**/compare.html?run=*");
        assertThat(page.locator("#chart-loss-overlay .u-legend .u-series")).hasCount(2);
        assertThat(page.locator("#chart-loss-overlay .u-legend")).containsText("charted-b");
        assertThat(page.locator("#chart-sft-loss-overlay")).hasCount(0); // neither run aligned
        assertThat(page.locator("#scores-table tbody tr")).hasCount(2);
        assertThat(page.locator("#scores-table tbody tr").first()).containsText("0.75");
        assertThat(page.locator("#stages-table")).containsText("plan");
        assertThat(page.locator(".diff .del").filter(new Locator.FilterOptions().setHasText("budget: 1.0e18"))).hasCount(1);
        assertThat(page.locator(".diff .add").filter(new Locator.FilterOptions().setHasText("name: charted-b"))).hasCount(1);
        screenshot("compare");

        // The same run ticked twice is one run: the page says why it compares nothing and waits on nothing.
        open("/compare.html?run=" + first + "&run=" + first);
        assertThat(page.locator("#error")).containsText("2 to 8 distinct runs");
        assertThat(page.locator("#loss")).not().containsText("loading");
        for (int width : new int[] {1280, 1920}) {
            page.setViewportSize(width, 900);
            screenshot("compare-same-run-" + width);
        }
        page.setViewportSize(1360, 900);
    }

    /** A user changes their password on the Account page, and only the new one signs them in after. */
    @Test
    @Order(9)
    void aUserChangesTheirPasswordOnTheAccountPage() {
        String name = "paula";
        users.createUser(name, "first-password-1", UserStore.Role.OPERATOR, List.of("default"));
        page.locator("#sign-out").click();
        page.waitForURL("**/login.html");
        signIn(name, "first-password-1");
        page.locator("a[href='/account.html']").click();
        page.waitForURL("**/account.html");
        assertThat(page.locator("#me [data-user=paula]")).isVisible();
        page.locator("#current-password").fill("not-my-password");
        page.locator("#new-password").fill("second-password-2");
        page.locator("#repeat-password").fill("second-password-2");
        page.locator("#change").click();
        assertThat(page.locator("#password-error")).containsText("currentPassword");
        page.locator("#current-password").fill("first-password-1");
        page.locator("#new-password").fill("second-password-2");
        page.locator("#repeat-password").fill("second-password-2");
        page.locator("#change").click();
        assertThat(page.locator("#password-done")).containsText("Password changed");
        screenshot("account");

        page.locator("#sign-out").click();
        page.waitForURL("**/login.html");
        page.locator("#user").fill(name);
        page.locator("#password").fill("first-password-1");
        page.locator("#submit").click();
        assertThat(page.locator("#error")).containsText("user or password is wrong");
        signIn(name, "second-password-2");
    }

    /**
     * A real hyperparameter sweep (a 2 x 2 batch x learning-rate grid of probe trainings at three tiny budgets) before
     * the plan: the run page plots its grids and the fitted laws with their standard errors.
     */
    @Test
    @Order(8)
    void aHyperparameterSweepsFitIsPlottedWithItsLaws() {
        String id = submit("name: swept\nstages: [data, tokenizer, plan]\ncorpus:\n  sources:\n    - path: " + CORPUS
                + "\ntokenizer:\n  vocabSize: 512\ncompute:\n  budget: 1.0e13\nplan:\n  seqLen: 32\n  sweep:\n"
                + "    kind: hyperparameters\n    budgets: [1.0e9, 3.0e9, 1.0e10]\n    batchSizes: 2\n    learningRates: 2\n"
                + "    ratio: 3.0\n    margin: 0.02\n    heldOutRows: 32\n");
        open("/run.html?id=" + id);
        assertThat(page.locator("#status")).hasAttribute("data-status", "SUCCEEDED",
                new LocatorAssertions.HasAttributeOptions().setTimeout(Duration.ofSeconds(300).toMillis()));
        Locator fits = page.locator("#fits");
        assertThat(fits).containsText("12 probe run(s)");
        for (String law : List.of("η", "B")) {
            Locator caption = fits.locator("figcaption[data-law='" + law + "']");
            assertThat(caption).containsText(" ± ");
            assertThat(caption).containsText("R²");
        }
        Locator legends = fits.locator("figure.chart .u-legend .u-series");
        assertThat(legends.filter(new Locator.FilterOptions().setHasText("probe"))).hasCount(3);
        assertThat(legends.filter(new Locator.FilterOptions().setHasText("best"))).hasCount(3);
        assertThat(fits).containsText("Laws the plan used");
        assertThat(fits).containsText("so the optimum may lie outside the grid"); // a 2 x 2 grid brackets nothing
        screenshot("run-scaling-fit");
        ConsoleBrowser.screenshot(page.locator("#fit-section"), "run-scaling-fit-plots");
    }

    /**
     * The graph under {@code selector}, as dagre laid it out: no two nodes overlap and every node lies inside the
     * laid-out area the SVG's viewBox starts from.
     */
    void assertLaidOut(String selector) {
        String found = (String) page.evaluate("selector => { const svg = document.querySelector(selector + ' svg.graph-canvas');"
                + " const width = +svg.dataset.width, height = +svg.dataset.height;"
                + " const boxes = [...svg.querySelectorAll('[data-w]')].map((n, i) => ({id: n.dataset.node || i,"
                + "   x: +n.dataset.x, y: +n.dataset.y, w: +n.dataset.w, h: +n.dataset.h}));"
                + " const wrong = [];"
                + " boxes.forEach((a, i) => {"
                + "   if (a.x < 0 || a.y < 0 || a.x + a.w > width || a.y + a.h > height) wrong.push(a.id + ' outside');"
                + "   boxes.slice(i + 1).forEach(b => { if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h"
                + "     && b.y < a.y + a.h) wrong.push(a.id + ' overlaps ' + b.id); }); });"
                + " return boxes.length + ' nodes' + wrong.map(w => '; ' + w).join(''); }", selector);
        assertTrue(found.matches("[1-9]\\d* nodes"), selector + ": " + found);
    }

    /** {@code steps} points of each charted series, shifted by {@code offset}, and two evaluation figures. */
    void seedTraining(String runId, int steps, double offset) {
        List<List<MetricPoint>> series = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        for (int step = 0; step < steps; step++) {
            series.get(0).add(new MetricPoint(step, offset + 2.0 + 8.0 / Math.sqrt(step + 1)));
            series.get(1).add(new MetricPoint(step, 4.2e-4 * Math.min(1.0, (step + 1) / 200.0)));
            series.get(2).add(new MetricPoint(step, 0.5 + 3.0 / (step + 1)));
            series.get(3).add(new MetricPoint(step, 40_000 + step % 17 * 100));
        }
        List<String> names = List.of("loss", "learning_rate", "gradient_norm", "tokens_per_second");
        for (int i = 0; i < names.size(); i++) {
            ledger.metrics().recordMetrics(runId, "pretrain", names.get(i), series.get(i));
        }
        String model = String.format("%064x", new BigInteger(1, runId.getBytes(StandardCharsets.UTF_8)));
        ledger.artifacts().recordArtifact(model, "model", 1, "{}");
        ledger.metrics().recordEvaluations(List.of(
                new EvaluationResult(runId, "evaluate-base", model, "arithmetic", "acc", 0.75 - offset, 200, 0.03),
                new EvaluationResult(runId, "evaluate-base", model, "held-out", "bits_per_byte", 1.1 + offset, 5000, null)));
    }

    /**
     * The admin gives a team a source root of its own on the Admin page; a root that is never a source is refused
     * there by its index, and the team's roots are what the API says.
     */
    @Test
    @Order(10)
    void anAdminSetsATeamsSourceRootsOnTheAdminPage() throws Exception {
        Path folder = Files.createDirectories(Path.of("target", "default-team-corpus").toAbsolutePath());
        open("/admin.html");
        // The page loads a team's roots into the form asynchronously: edit only once that has happened.
        assertThat(page.locator("#team-roots[data-loads]")).hasCount(1);
        if (!"default".equals(page.locator("#roots-team").inputValue())) {
            String loads = page.locator("#team-roots").getAttribute("data-loads");
            page.locator("#roots-team").selectOption("default");
            page.waitForCondition(() -> !loads.equals(page.locator("#team-roots").getAttribute("data-loads")));
        }
        page.locator("#roots-value").fill(folder + "\n/proc\n");
        page.locator("#team-roots button[type=submit]").click();
        assertThat(page.locator("#admin-error")).containsText("roots[1]");
        page.locator("#roots-value").fill(folder.toString());
        page.locator("#team-roots button[type=submit]").click();
        assertThat(page.locator("#admin-error")).isEmpty();
        given().get("/api/teams/default/source-roots").then().statusCode(200)
                .body("roots", equalTo(List.of(folder.toString())));
        page.reload();
        assertThat(page.locator("#roots-value")).hasValue(folder.toString());
        screenshot("admin-source-roots");
    }

    @Test
    @Order(12)
    void theWorkersPageListsTheInProcessComputeWorkerPollingItsQueues() {
        open("/workers.html");
        Locator row = page.locator("#workers tbody tr[data-worker]").first();
        assertThat(row).containsText("cpu");
        assertThat(row).containsText("/ 2");   // slots busy of the worker's two
        assertThat(row).containsText("cpu: ");   // Temporal saw it poll the cpu queue
        screenshot("workers");
    }
}
