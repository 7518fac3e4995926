package dev.lmforge.services.outbox;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real MLflow tracking server (PyPI {@code mlflow}, pinned in {@code infra/scripts/mlflow-venv.sh}, which installs
 * it into a virtual environment under the data folder once) with a SQLite backend on 127.0.0.1, serving artifacts
 * through its proxy ({@code --serve-artifacts}, stored under the folder), for a test;
 * web-ui's outbox test uses it through services' test-jar.
 */
public final class MlflowServer implements AutoCloseable {

    private final Path dir;
    private final int port;
    private Process process;

    public MlflowServer(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    public String uri() {
        return "http://127.0.0.1:" + port;
    }

    /** The path of the {@code mlflow} command, installing it first when needed. */
    public static String command() throws IOException, InterruptedException {
        Path script = Path.of("..", "infra", "scripts", "mlflow-venv.sh").toAbsolutePath().normalize();
        Process p = new ProcessBuilder("bash", script.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(20, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException("could not install MLflow with " + script);
        }
        return out;
    }

    public MlflowServer start() throws IOException, InterruptedException {
        Files.createDirectories(dir);
        process = new ProcessBuilder(List.of(command(), "server", "--backend-store-uri",
                "sqlite:///" + dir.resolve("mlflow.db").toAbsolutePath(), "--serve-artifacts",
                "--artifacts-destination", dir.resolve("artifacts").toAbsolutePath().toString(), "--host", "127.0.0.1", "--port",
                Integer.toString(port), "--workers", "1"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile()).start();
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("mlflow server exited: " + Files.readString(dir.resolve("server.log")));
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(uri() + "/health"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return this;
                }
            } catch (IOException e) {
                // Not listening yet.
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("mlflow server did not answer /health in 180 s");
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null) {
            process.descendants().forEach(ProcessHandle::destroy);
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        }
    }
}
