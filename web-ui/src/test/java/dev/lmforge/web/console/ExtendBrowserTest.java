package dev.lmforge.web.console;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.LocatorAssertions;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.web.AdminToken;
import dev.lmforge.web.ConsoleBrowser;
import dev.lmforge.web.ExtendRunApiTest;
import dev.lmforge.web.LocalStackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URL;
import java.nio.file.Path;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The run page's "Extend budget" in a real browser (Debian's chromium through Playwright) on the real local
 * stack, set up as {@link ConsoleBrowserTest}: preview, launch, and the new run's page. Screenshots at 1280 and
 * 1920 px wide go to {@code target/screenshots/}.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, restrictToAnnotatedClass = true)
class ExtendBrowserTest {

    static ConsoleBrowser browser;

    @TestHTTPResource("/")
    URL base;
    @Inject
    UserStore users;
    @ConfigProperty(name = "lmforge.data-dir")
    String dataDir;

    Page page;

    @BeforeAll
    static void startBrowser() {
        ConsoleBrowserTest.startBrowser();
        browser = ConsoleBrowserTest.browser;
    }

    @AfterAll
    static void stopBrowser() {
        ConsoleBrowserTest.stopBrowser();
    }

    @BeforeEach
    void openPageSignedIn() {
        AdminToken.useFor(users, "ExtendBrowserTest");
        page = browser.signedIn(base.toString(), "admin", ConsoleBrowser.adminPassword(Path.of(dataDir)));
    }

    @AfterEach
    void closePage() {
        page.context().close();
        AdminToken.forget();
        assertEquals(List.of(), browser.policyViolations(), "the pages must work under their Content-Security-Policy");
    }

    @Test
    void extendBudgetPreviewsTheNewPlanThenLaunchesARunThatSaysWhichRunItExtends() {
        String old = ConsoleBrowserTest.submit(ExtendRunApiTest.PRETRAIN);
        ConsoleBrowserTest.awaitStatus(old, "SUCCEEDED");
        page.navigate("/run.html?id=" + old);
        Locator extend = page.locator("#extend");
        assertThat(extend).isEnabled();
        extend.click();
        Locator plan = page.locator("#extend-plan table[data-extend-plan]");
        assertThat(plan).isVisible(new LocatorAssertions.IsVisibleOptions().setTimeout(30_000));
        assertEquals(6.0e10, Double.parseDouble(page.locator("#extend-budget").inputValue()), "prefilled with twice the budget");
        assertThat(plan.locator("[data-row=reused]")).containsText("multi-step boundary");
        assertThat(plan.locator("[data-row=model]")).containsText("layers");
        assertNotEquals(plan.getAttribute("data-reused"), plan.getAttribute("data-steps"));
        for (int width : new int[] {1280, 1920}) {
            page.setViewportSize(width, 900);
            ConsoleBrowser.screenshot(page, "extend-preview-" + width);
        }

        // A budget not above the current one is refused, the field named, and nothing can be launched.
        page.locator("#extend-budget").fill("1e10");
        page.locator("#extend-preview").click();
        assertThat(page.locator("#extend-error")).containsText("budget");
        assertThat(page.locator("#extend-launch")).isDisabled();

        page.locator("#extend-budget").fill("6e10");
        page.locator("#extend-preview").click();
        assertThat(page.locator("#extend-launch")).isEnabled();
        page.locator("#extend-launch").click();
        page.waitForURL(url -> url.contains("/run.html?id=") && !url.endsWith(old));
        assertThat(page.locator("#extends")).containsText("extends " + old,
                new LocatorAssertions.ContainsTextOptions().setTimeout(30_000));
        assertThat(page.locator("#extends a")).hasAttribute("href", "/run.html?id=" + old);
        for (int width : new int[] {1280, 1920}) {
            page.setViewportSize(width, 900);
            ConsoleBrowser.screenshot(page, "extend-new-run-" + width);
        }
    }
}
