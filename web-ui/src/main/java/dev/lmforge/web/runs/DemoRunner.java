package dev.lmforge.web.runs;

import dev.lmforge.services.ledger.Records.RunRecord;
import dev.lmforge.services.ledger.RunStore;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.services.ledger.UserStore.User;
import dev.lmforge.web.auth.FirstAdminBootstrap;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * {@code lmforge demo}: once the control plane is up, submits the bundled sample lifecycle and prints its
 * progress; with {@code --exit-when-done} the process exits 0 when the run succeeded and 1 otherwise.
 */
@ApplicationScoped
public class DemoRunner {

    @Inject
    RunService runs;
    @Inject
    UserStore users;
    @ConfigProperty(name = "lmforge.demo.spec")
    Optional<String> specPath;
    @ConfigProperty(name = "lmforge.demo.exit-when-done", defaultValue = "false")
    boolean exitWhenDone;
    @ConfigProperty(name = "quarkus.http.host")
    String host;
    @ConfigProperty(name = "quarkus.http.port")
    int port;

    void start(@Observes @Priority(10) StartupEvent event) throws IOException {
        if (specPath.isEmpty()) {
            return;
        }
        String spec = Files.readString(Path.of(specPath.get()));
        User admin = users.user(FirstAdminBootstrap.ADMIN).orElseThrow(() -> new IllegalStateException(
                "lmforge demo submits as user '" + FirstAdminBootstrap.ADMIN + "', and there is none"));
        RunRecord run = runs.submit(spec, admin);
        System.out.println("lmforge demo: run " + run.id() + " submitted from " + specPath.get()
                + "; console at http://" + host + ":" + port + "/");
        Thread follower = new Thread(() -> follow(run.id(), admin), "lmforge-demo");
        follower.setDaemon(true);
        follower.start();
    }

    private void follow(String runId, User admin) {
        String last = "";
        try {
            while (true) {
                RunView view = runs.view(runId, admin);
                StringBuilder line = new StringBuilder("lmforge demo: " + runId + " " + view.status() + ":");
                view.stages().forEach(s -> line.append(' ').append(s.stage()).append('=').append(s.status()));
                if (!line.toString().equals(last)) {
                    System.out.println(line);
                    last = line.toString();
                }
                if (RunStore.TERMINAL.contains(view.status())) {
                    boolean ok = view.status().equals("SUCCEEDED");
                    System.out.println("lmforge demo: run " + runId + " " + view.status()
                            + (ok ? "" : ": " + view.error()) + (exitWhenDone ? "" : "; the console keeps serving (Ctrl-C stops it)"));
                    if (exitWhenDone) {
                        Quarkus.asyncExit(ok ? 0 : 1);
                    }
                    return;
                }
                Thread.sleep(1000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
