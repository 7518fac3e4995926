package dev.lmforge.web;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The console in a real browser: Debian's chromium driven by Playwright (its own browser download cannot work
 * here), signing in through the log-in form as a person does, and saving full-page screenshots under
 * {@code target/screenshots/}. One per test class; pages are opened per test.
 */
public final class ConsoleBrowser implements AutoCloseable {

    static final Path SCREENSHOTS = Path.of("target/screenshots");

    private final Playwright playwright;
    private final Browser browser;
    private final List<String> policyViolations = Collections.synchronizedList(new ArrayList<>());

    private ConsoleBrowser() {
        playwright = Playwright.create(new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
        browser = playwright.chromium().launch(new BrowserType.LaunchOptions()
                .setExecutablePath(Paths.get("/usr/bin/chromium")).setHeadless(true)
                .setArgs(List.of("--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync", "--no-first-run")));
    }

    /** Starts chromium. */
    public static ConsoleBrowser launch() {
        return new ConsoleBrowser();
    }

    /** The first start's admin password, from the credentials file it wrote in {@code dataDir}. */
    public static String adminPassword(Path dataDir) {
        try {
            return Files.readString(dataDir.resolve("admin-credentials")).lines()
                    .filter(l -> l.startsWith("password: ")).findFirst().orElseThrow().substring("password: ".length());
        } catch (IOException e) {
            throw new UncheckedIOException("no admin credentials in " + dataDir, e);
        }
    }

    /** A fresh page (its own cookies) on the console at {@code baseUrl}, not signed in; dialogs are accepted. */
    public Page newPage(String baseUrl) {
        Page page = browser.newContext(new Browser.NewContextOptions().setViewportSize(1360, 900)
                .setBaseURL(baseUrl.replaceAll("/$", ""))).newPage();
        page.onDialog(dialog -> dialog.accept());
        // Chromium reports each thing the Content-Security-Policy refused as a console error.
        page.onConsoleMessage(m -> {
            if (m.text().contains("Content Security Policy")) {
                policyViolations.add(m.text());
            }
        });
        return page;
    }

    /** What the console's Content-Security-Policy refused on any page opened so far; empty when the pages obey it. */
    public List<String> policyViolations() {
        return List.copyOf(policyViolations);
    }

    /** A fresh page signed in as {@code user} through the log-in form; the runs page is open after. */
    public Page signedIn(String baseUrl, String user, String password) {
        Page page = newPage(baseUrl);
        signIn(page, user, password);
        return page;
    }

    /** Signs in through the log-in form, as a person would; the runs page opens after. */
    public static void signIn(Page page, String user, String password) {
        page.navigate("/login.html");
        page.locator("#user").fill(user);
        page.locator("#password").fill(password);
        page.locator("#submit").click();
        page.waitForURL(url -> url.endsWith("/"));
        assertThat(page.locator("#who [data-user='" + user + "']")).isVisible();
    }

    /** Saves the whole page as {@code target/screenshots/NAME.png}. */
    public static void screenshot(Page page, String name) {
        page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve(name + ".png")).setFullPage(true));
    }

    /** Saves one part of a page (a long page's section) as {@code target/screenshots/NAME.png}. */
    public static void screenshot(Locator part, String name) {
        part.screenshot(new Locator.ScreenshotOptions().setPath(SCREENSHOTS.resolve(name + ".png")));
    }

    /** The run page's stage boxes as {@code stage=STATUS ...}, as the page shows them now. */
    public static String stageStates(Page page) {
        Locator boxes = page.locator(".stage-box");
        List<String> states = new ArrayList<>();
        for (int i = 0; i < boxes.count(); i++) {
            states.add(boxes.nth(i).getAttribute("data-stage") + "=" + boxes.nth(i).getAttribute("data-status"));
        }
        return String.join(" ", states);
    }

    @Override
    public void close() {
        browser.close();
        playwright.close();
    }
}
