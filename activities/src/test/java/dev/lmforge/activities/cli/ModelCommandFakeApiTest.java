package dev.lmforge.activities.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.tokenizer.BpeTrainer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lmforge model score} given a run id or an artifact digest instead of a path, against an in-process fake of
 * the console's API (the JDK's HTTP server answering the three calls the command makes, checking the bearer
 * token). The command runs in a child JVM, since the API's address comes from {@code LMFORGE_URL}.
 */
class ModelCommandFakeApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "test-token";

    @TempDir
    Path dir;

    @Test
    void aRunIdOrDigestFetchesTheRunsFinalModel() throws Exception {
        BpeTrainer trainer = new BpeTrainer(256 + BpeTrainer.DEFAULT_SPECIAL_TOKENS.size() + 50);
        trainer.addText("the cat sat on the mat. ".repeat(50));
        BpeTokenizer tokenizer = trainer.train();
        Path zip = ModelZips.trainAndStore(tokenizer, List.of("the cat sat on the mat. ".repeat(40)), dir, 1);
        String base = "a".repeat(64);
        String aligned = "b".repeat(64);
        String report = "c".repeat(64);
        byte[] model = Files.readAllBytes(zip);
        HttpServer api = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        api.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            byte[] body;
            int status = 200;
            if (!("Bearer " + TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                status = 401;
                body = "{\"title\":\"Unauthorized\"}".getBytes(StandardCharsets.UTF_8);
            } else if (path.equals("/api/runs/run-1")) {
                body = JSON.writeValueAsBytes(Map.of("id", "run-1", "stages", List.of(
                        Map.of("stage", "pretrain", "outputs", Map.of("model", base)),
                        Map.of("stage", "align", "outputs", Map.of("model", aligned, "report", report)))));
            } else if (path.equals("/api/artifacts/" + aligned)) {
                body = JSON.writeValueAsBytes(Map.of("digest", aligned, "kind", "model"));
            } else if (path.equals("/api/artifacts/" + report)) {
                body = JSON.writeValueAsBytes(Map.of("digest", report, "kind", "alignment-report"));
            } else if (path.equals("/api/artifacts/" + aligned + "/content")) {
                body = model;
            } else {
                status = 404;
                body = "{\"title\":\"Not Found\"}".getBytes(StandardCharsets.UTF_8);
            }
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        api.start();
        try {
            String url = "http://127.0.0.1:" + api.getAddress().getPort();
            String fromPath = run(url, "--model", zip.toString());
            assertEquals(fromPath, run(url, "--model", "run-1"));
            assertEquals(fromPath, run(url, "--model", "sha256:" + aligned));
            assertTrue(JSON.readTree(fromPath).path("logProbabilities").size() > 0);
            String refused = runExpectingFailure(url, "--model", report);
            assertTrue(refused.contains("is a alignment-report, not a model"), refused);
        } finally {
            api.stop(0);
        }
    }

    private String run(String url, String... model) throws Exception {
        Process process = start(url, model);
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(2, TimeUnit.MINUTES));
        String errors = String.join("\n", Files.readString(dir.resolve("err.log")).lines()
                .filter(l -> l.startsWith("lmforge")).toList());
        assertEquals(0, process.exitValue(), out + errors);
        return JSON.readTree(out).toString();
    }

    private String runExpectingFailure(String url, String... model) throws Exception {
        Process process = start(url, model);
        process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(2, TimeUnit.MINUTES));
        assertEquals(2, process.exitValue());
        return Files.readString(dir.resolve("err.log"));
    }

    private Process start(String url, String... model) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), LmforgeCli.class.getName(),
                "model", "score", "--text", "the cat", "--json", "--threads", "1"));
        command.addAll(List.of(model));
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(dir.resolve("err.log").toFile());
        builder.environment().put("LMFORGE_URL", url);
        builder.environment().put("LMFORGE_TOKEN", TOKEN);
        return builder.start();
    }
}
