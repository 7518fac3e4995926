package dev.lmforge.web.serving;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.WorkerRegistry;
import dev.lmforge.services.ledger.WorkerRegistry.ServingWorker;
import dev.lmforge.web.problem.ProblemException;
import dev.lmforge.web.problem.ProblemException.FieldError;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Sends a generation to a compute worker and reads its answer as it comes. The console runs no model: the
 * workers do, each behind the inference endpoint it reports to the ledger (address and token, in the workers
 * table) beside its queues. Requests go straight there over HTTP, not through Temporal: Temporal records each
 * step of a workflow in its history and suits stages that last minutes, while a reply is a stream of tokens a
 * few milliseconds apart that no one needs replayed.
 *
 * <p>The worker holding the model loaded is asked first, then the others, most recently seen first; a worker
 * that refuses the connection (gone since its last report) is skipped. Every read waits at most
 * {@code lmforge.serving.idle-timeout} (default 120 s, long enough to load a model before the first byte), so a
 * worker that dies or hangs mid-stream ends the stream with an error instead of holding it open.
 */
@ApplicationScoped
public class WorkerInference {

    private static final Logger LOG = Logger.getLogger(WorkerInference.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Three missed reports and a worker is taken for gone, as on the workers page. */
    private static final Duration SEEN_WITHIN = WorkerRegistry.REPORT_INTERVAL.multipliedBy(3);

    @Inject
    Ledger ledger;
    @ConfigProperty(name = "lmforge.serving.connect-timeout", defaultValue = "5s")
    Duration connectTimeout;
    @ConfigProperty(name = "lmforge.serving.idle-timeout", defaultValue = "120s")
    Duration idleTimeout;

    private WorkerRegistry registry;

    @PostConstruct
    void open() {
        registry = new WorkerRegistry(ledger.jdbc());
    }

    /**
     * A generation under way on a worker: its events, one JSON object per line ({@code text}, then {@code done}
     * or {@code error}). Closing it drops the connection, which stops the worker's generation.
     */
    public static final class Generation implements AutoCloseable {
        private final HttpURLConnection connection;
        private final BufferedReader lines;
        private final String worker;

        Generation(HttpURLConnection connection, InputStream body, String worker) {
            this.connection = connection;
            this.lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
            this.worker = worker;
        }

        /**
         * The next event, or null if the worker closed the stream first.
         *
         * @throws SocketTimeoutException if the worker sent nothing for the idle timeout
         * @throws IOException            if the connection broke
         */
        public JsonNode next() throws IOException {
            String line = lines.readLine();
            return line == null ? null : JSON.readTree(line);
        }

        /** The worker's identity, for errors and logs. */
        public String worker() {
            return worker;
        }

        @Override
        public void close() {
            connection.disconnect();
        }
    }

    /**
     * Starts {@code request} (the worker's request format, see the worker's {@code InferenceServer}) on a worker
     * that serves {@code digest}'s model. A refusal of the request (a prompt past the model's context) comes back
     * as the worker's 4xx problem, naming the field.
     *
     * @throws ProblemException 503 when no worker serves, 502 when the worker failed, 504 when it did not answer
     */
    public Generation start(String digest, ObjectNode request) {
        List<ServingWorker> workers = registry.servingWithin(SEEN_WITHIN, digest);
        if (workers.isEmpty()) {
            throw new ProblemException(503, "Service Unavailable", "no compute worker serves models now: none "
                    + "reported an inference endpoint in the last " + SEEN_WITHIN.toSeconds() + " s");
        }
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(request);
        } catch (IOException e) {
            throw new IllegalStateException("a JSON tree could not be written", e);
        }
        List<String> unreachable = new ArrayList<>();
        for (ServingWorker worker : workers) {
            HttpURLConnection connection;
            try {
                connection = (HttpURLConnection) URI.create(worker.address() + "/generate").toURL().openConnection();
                connection.setConnectTimeout((int) connectTimeout.toMillis());
                connection.setReadTimeout((int) idleTimeout.toMillis());
                connection.setRequestMethod("POST");
                connection.setDoOutput(true);
                connection.setRequestProperty("Content-Type", "application/json");
                connection.setRequestProperty("Authorization", "Bearer " + worker.token());
                connection.setFixedLengthStreamingMode(body.length);
                try (OutputStream out = connection.getOutputStream()) {
                    out.write(body);
                }
            } catch (ConnectException | SocketTimeoutException e) {
                // Gone since its last report, or unreachable from here: the next one may answer.
                unreachable.add(worker.identity() + " (" + e.getMessage() + ")");
                continue;
            } catch (IOException e) {
                throw new ProblemException(502, "Bad Gateway", "compute worker " + worker.identity()
                        + " broke the connection: " + e.getMessage());
            }
            return answer(connection, worker);
        }
        throw new ProblemException(503, "Service Unavailable", "no compute worker that serves models answered: "
                + String.join(", ", unreachable));
    }

    private Generation answer(HttpURLConnection connection, ServingWorker worker) {
        try {
            int status = connection.getResponseCode();
            if (status == 200) {
                return new Generation(connection, connection.getInputStream(), worker.identity());
            }
            JsonNode problem = readProblem(connection);
            connection.disconnect();
            String detail = problem.path("detail").asText("status " + status);
            if (status >= 400 && status < 500 && status != 401) {
                List<FieldError> errors = new ArrayList<>();
                for (JsonNode error : problem.path("errors")) {
                    errors.add(new FieldError(error.path("field").asText(), error.path("message").asText()));
                }
                throw new ProblemException(status, problem.path("title").asText("Bad Request"), detail, errors);
            }
            LOG.warnf("compute worker %s answered %d: %s", worker.identity(), status, detail);
            // A 401 here means the token in the ledger is stale: the console's problem, not the caller's.
            throw new ProblemException(502, "Bad Gateway", "compute worker " + worker.identity() + " failed: " + detail);
        } catch (SocketTimeoutException e) {
            connection.disconnect();
            throw new ProblemException(504, "Gateway Timeout", "compute worker " + worker.identity()
                    + " did not answer within " + idleTimeout.toSeconds() + " s");
        } catch (IOException e) {
            connection.disconnect();
            throw new ProblemException(502, "Bad Gateway", "compute worker " + worker.identity()
                    + " broke the connection: " + e.getMessage());
        }
    }

    private static JsonNode readProblem(HttpURLConnection connection) {
        try (InputStream in = connection.getErrorStream()) {
            return in == null ? JSON.createObjectNode() : JSON.readTree(in.readNBytes(64 * 1024));
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }
}
