package dev.lmforge.web.console;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.LocatorAssertions;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.web.ConsoleBrowser;
import dev.lmforge.web.LocalStackTestResource;
import dev.lmforge.web.ServingModel;
import dev.lmforge.web.auth.FirstAdminBootstrap;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.net.URL;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The playground in a real browser against the real local stack: a chat, signed in by the console's session
 * cookie, with a model that a run of this test trained ({@link ServingModel}), answered through
 * {@code /v1/chat/completions} by the in-process compute worker. Screenshots go under {@code target/screenshots/}.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, restrictToAnnotatedClass = true)
class PlaygroundBrowserTest {

    private static final String QUESTION = "What is a network?";
    /** Within the model's context of 32 tokens after the question in the chat template. */
    private static final int MAX_TOKENS = 12;

    static ConsoleBrowser browser;

    @TestHTTPResource("/")
    URL base;
    @Inject
    UserStore users;
    @ConfigProperty(name = "lmforge.data-dir")
    String dataDir;

    @BeforeAll
    static void startBrowser() {
        browser = ConsoleBrowser.launch();
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.close();
        }
    }

    /**
     * Opened from the run page's link, the playground streams the greedy reply into the transcript piece by piece,
     * and it is the text that the same request answers whole; the token counts are the API's, with a rate. A
     * temperature out of range is refused by the server and the page names the field and marks its input; the
     * artifact page of the model links to the playground too. Stop ends a reply where it is.
     */
    @Test
    void aChatOpenedFromTheRunPageStreamsTheGreedyReplyWithItsTokenCounts() {
        String token = users.createToken(FirstAdminBootstrap.ADMIN, "PlaygroundBrowserTest").secret();
        JsonPath run = ServingModel.train(token);
        String runId = run.getString("id");
        String digest = run.getString("stages.find { it.stage == 'pretrain' }.outputs.model");
        Page page = browser.signedIn(base.toString(), "admin", ConsoleBrowser.adminPassword(Path.of(dataDir)));
        try {
            page.navigate("/artifact.html?d=" + digest);
            assertThat(page.locator("#try-playground")).hasAttribute("href", "/playground.html?model=" + digest);
            page.navigate("/run.html?id=" + runId);
            page.locator("#try-playground").click();
            page.waitForURL("**/playground.html?run=" + runId);
            assertThat(page.locator("#model")).hasValue(runId);

            // Out of range: the server's 400 names the field, the page marks its input and keeps the message.
            page.locator("#temperature").fill("2.5");
            page.locator("#message").fill(QUESTION);
            page.locator("#send").click();
            assertThat(page.locator("#error .error-box li b")).hasText("temperature");
            assertThat(page.locator("#temperature")).hasAttribute("aria-invalid", "true");
            assertThat(page.locator("#message")).hasValue(QUESTION);
            assertThat(page.locator(".turn")).hasCount(0);
            ConsoleBrowser.screenshot(page, "playground-refused");

            page.locator("#temperature").fill("0");
            page.locator("#max-tokens").fill(String.valueOf(MAX_TOKENS));
            // Every text the reply shows on its way, as the page draws it.
            page.evaluate("() => { window.replyTexts = []; new MutationObserver(() => {"
                    + " const text = document.querySelector('.turn[data-role=assistant] .text');"
                    + " if (text && text.textContent && window.replyTexts.at(-1) !== text.textContent)"
                    + " window.replyTexts.push(text.textContent); })"
                    + ".observe(document.getElementById('transcript'), {subtree: true, childList: true, characterData: true}); }");
            page.locator("#send").click();
            Locator reply = page.locator(".turn[data-role=assistant]");
            assertThat(reply).hasAttribute("data-state", "done",
                    new LocatorAssertions.HasAttributeOptions().setTimeout(Duration.ofSeconds(90).toMillis()));
            assertThat(page.locator("#error")).isEmpty();
            assertThat(page.locator("#temperature")).not().hasAttribute("aria-invalid", "true");
            assertThat(page.locator(".turn[data-role=user] .text")).hasText(QUESTION);

            JsonPath whole = given().header("Authorization", "Bearer " + token).contentType("application/json")
                    .body("{\"model\": \"" + runId + "\", \"messages\": [{\"role\": \"user\", \"content\": \"" + QUESTION
                            + "\"}], \"temperature\": 0, \"max_tokens\": " + MAX_TOKENS + "}")
                    .post("/v1/chat/completions").then().statusCode(200).extract().jsonPath();
            String expected = whole.getString("choices[0].message.content");
            String shown = (String) reply.locator(".text").evaluate("text => text.textContent");
            assertEquals(expected, shown, "greedy: the streamed reply is the whole answer's text");
            @SuppressWarnings("unchecked")
            List<String> texts = (List<String>) page.evaluate("window.replyTexts");
            assertTrue(texts.size() >= 2, "the reply appeared piece by piece: " + texts);
            assertEquals(shown, texts.get(texts.size() - 1));
            texts.forEach(t -> assertTrue(shown.startsWith(t), "each text on the way begins the reply: " + texts));
            assertTrue(Integer.parseInt(reply.getAttribute("data-chunks")) > 1, "streamed in chunks");

            assertThat(reply.locator("[data-stat=prompt-tokens]")).hasText(whole.getString("usage.prompt_tokens"));
            assertThat(reply.locator("[data-stat=reply-tokens]")).hasText(whole.getString("usage.completion_tokens"));
            assertThat(reply.locator("[data-stat=finish-reason]")).hasText(whole.getString("choices[0].finish_reason"));
            double rate = Double.parseDouble(reply.locator("[data-stat=tokens-per-second]").textContent());
            assertTrue(rate > 0, "tokens/s: " + rate);
            for (int width : new int[] {1280, 1920}) {
                page.setViewportSize(width, 900);
                ConsoleBrowser.screenshot(page, "playground-" + width);
            }
            page.setViewportSize(1360, 900);

            // Stop, pressed as the first text shows: the reply keeps what came, a beginning of the greedy one.
            page.locator("#clear").click();
            assertThat(page.locator(".turn")).hasCount(0);
            page.locator("#message").fill(QUESTION);
            page.evaluate("() => new MutationObserver((changes, observer) => {"
                    + " const text = document.querySelector('.turn[data-role=assistant] .text');"
                    + " if (text && text.textContent) { observer.disconnect(); document.getElementById('stop').click(); } })"
                    + ".observe(document.getElementById('transcript'), {subtree: true, childList: true, characterData: true})");
            page.locator("#send").click();
            assertThat(reply).hasAttribute("data-state", "stopped",
                    new LocatorAssertions.HasAttributeOptions().setTimeout(Duration.ofSeconds(90).toMillis()));
            assertThat(reply.locator("[data-stat=stopped]")).containsText("stopped after");
            assertThat(page.locator("#send")).isEnabled();
            assertThat(page.locator("#stop")).isDisabled();
            String stopped = (String) reply.locator(".text").evaluate("text => text.textContent");
            assertTrue(!stopped.isEmpty() && expected.startsWith(stopped) && stopped.length() < expected.length(),
                    "stopped at '" + stopped + "' of '" + expected + "'");
        } finally {
            page.context().close();
        }
        assertEquals(List.of(), browser.policyViolations(), "the pages must work under their Content-Security-Policy");
    }
}
