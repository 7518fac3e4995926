package dev.lmforge.web.bench;

import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.web.auth.FirstAdminBootstrap;
import dev.lmforge.web.runs.SpecParser;
import dev.lmforge.workflows.stage.Stage;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * {@code lmforge bench console}: the console's API under load with a big ledger. Seeds 10,000 runs (each with
 * four stage rows) and a million pretraining metric points by SQL, then has 32 concurrent clients load the runs
 * page and a run page (the same API calls the browser makes) over HTTP with an admin's API token, and prints
 * pages and requests per second with p50 and p99 latency. It prints figures; it asserts nothing. {@code --smoke}
 * seeds and loads a small ledger so the test suite runs every scenario.
 */
@ApplicationScoped
public class ConsoleBench {

    static final List<String> SERIES = List.of("loss", "learning_rate", "gradient_norm", "tokens_per_second");

    /**
     * How big the seeded ledger and the load are: {@code metricRuns × SERIES × steps} metric points.
     */
    record Size(int runs, int metricRuns, int steps, int clients, Duration warmUp, Duration measure) {
        /** 10,000 runs, a million points, 32 clients: the figures the issues quote. */
        static final Size FULL = new Size(10_000, 100, 2_500, 32, Duration.ofSeconds(5), Duration.ofSeconds(20));
        /** Small enough for the test suite, big enough to run every scenario and print every figure. */
        static final Size SMOKE = new Size(200, 4, 100, 4, Duration.ofSeconds(1), Duration.ofSeconds(2));
    }
    private static final String SPEC = "name: bench\nstages: [data, tokenizer, plan, pretrain]\n"
            + "corpus:\n  sources:\n    - path: samples/corpus\ncompute:\n  budget: 1.0e17\n";

    @Inject
    Ledger ledger;
    @Inject
    UserStore users;
    @ConfigProperty(name = "lmforge.bench")
    Optional<String> bench;
    @ConfigProperty(name = "quarkus.http.port")
    int port;
    @ConfigProperty(name = "lmforge.bench.smoke", defaultValue = "false")
    boolean smoke;

    void run(@Observes @Priority(20) StartupEvent event) {
        if (!bench.orElse("").equals("console")) {
            return;
        }
        BenchThread.start(this::measure);
    }

    private void measure() throws Exception {
        Size size = smoke ? Size.SMOKE : Size.FULL;
        System.out.printf("lmforge bench console: %d cores, %d clients, %d s measured after %d s warm-up%n",
                Runtime.getRuntime().availableProcessors(), size.clients(), size.measure().toSeconds(), size.warmUp().toSeconds());
        long t0 = System.nanoTime();
        List<String> metricRuns = seed(size);
        System.out.printf("seeded %,d runs, %,d stage rows and %,d metric points in %.1f s%n", size.runs(), size.runs() * 4L,
                (long) size.metricRuns() * SERIES.size() * size.steps(), (System.nanoTime() - t0) / 1e9);
        String token = users.createToken(FirstAdminBootstrap.ADMIN, "bench-console").secret();
        String base = "http://127.0.0.1:" + port;
        awaitServer(base);

        List<Scenario> scenarios = List.of(
                new Scenario("runs list (page 1)", r -> List.of("/api/runs?limit=50&offset=0")),
                new Scenario("runs list (deep page, search)", r -> List.of(
                        "/api/runs?limit=50&offset=" + 50 * r.nextInt(size.runs() / 50),
                        "/api/runs?limit=50&q=bench-" + r.nextInt(10))),
                // The page's one call, and the six it made before, as the baseline the one call is measured against.
                new Scenario("run page (one call)", r -> {
                    StringBuilder path = new StringBuilder("/api/console/runs/")
                            .append(metricRuns.get(r.nextInt(metricRuns.size()))).append("?points=500");
                    SERIES.forEach(s -> path.append("&series=pretrain/").append(s));
                    return List.of(path.toString());
                }),
                new Scenario("run page (six calls, before)", r -> {
                    String id = metricRuns.get(r.nextInt(metricRuns.size()));
                    List<String> paths = new ArrayList<>(List.of("/api/runs/" + id, "/api/runs/" + id + "/evaluations"));
                    SERIES.forEach(s -> paths.add("/api/runs/" + id + "/metrics/pretrain/" + s + "?points=500"));
                    return paths;
                }));
        System.out.printf("%-40s %10s %12s %10s %10s%n", "scenario", "pages/s", "requests/s", "p50 ms", "p99 ms");
        for (Scenario s : scenarios) {
            load(base, token, s, size);
        }
    }

    /** The runs, their stages, and the metric points, each one INSERT ... SELECT over generate_series. */
    private List<String> seed(Size size) throws SQLException {
        String spec = SpecParser.toJson(SpecParser.parse(SPEC));
        try (Connection c = ledger.jdbc().dataSource().getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement runs = c.prepareStatement("INSERT INTO runs (id, name, team, owner, spec, spec_source, "
                    + "planned_stages, status, created_at, started_at, ended_at) SELECT 'bench-' || i, 'bench-' || (i % 10) || '-' || i, "
                    + "'default', 'admin', ?::jsonb, ?, ?, (ARRAY['SUCCEEDED','FAILED','CANCELLED','RUNNING'])[1 + i % 4], "
                    + "now() - i * interval '1 minute', now() - i * interval '1 minute', "
                    + "CASE WHEN i % 4 = 3 THEN NULL ELSE now() - i * interval '1 minute' + interval '30 seconds' END "
                    + "FROM generate_series(1, ?) AS i")) {
                runs.setString(1, spec);
                runs.setString(2, SPEC);
                runs.setArray(3, c.createArrayOf("text", SpecParser.parse(SPEC).stageList().stream().map(Stage::id).toArray()));
                runs.setInt(4, size.runs());
                runs.executeUpdate();
            }
            try (Statement st = c.createStatement()) {
                st.executeUpdate("INSERT INTO stages (run_id, stage, status, cache_key, code_version, summary, started_at, ended_at) "
                        + "SELECT r.id, s.stage, 'SUCCEEDED', md5(r.id || s.stage), 1, '{\"seconds\": 1.5}'::jsonb, r.started_at, r.ended_at "
                        + "FROM runs r CROSS JOIN unnest(ARRAY['data','tokenizer','plan','pretrain']) AS s(stage) "
                        + "WHERE r.id LIKE 'bench-%'");
            }
            try (PreparedStatement metrics = c.prepareStatement("INSERT INTO metrics (run_id, stage, name, step, value) "
                    + "SELECT 'bench-' || r, 'pretrain', n.name, s, 2 + 8 / sqrt(s + 1) + random() * 0.05 "
                    + "FROM generate_series(1, ?) AS r, unnest(?::text[]) AS n(name), generate_series(0, ? - 1) AS s")) {
                metrics.setInt(1, size.metricRuns());
                metrics.setArray(2, c.createArrayOf("text", SERIES.toArray()));
                metrics.setInt(3, size.steps());
                metrics.executeUpdate();
            }
            try (Statement st = c.createStatement()) {
                st.execute("ANALYZE runs; ANALYZE stages; ANALYZE metrics");
            }
            c.commit();
        }
        List<String> ids = new ArrayList<>();
        for (int r = 1; r <= size.metricRuns(); r++) {
            ids.add("bench-" + r);
        }
        return ids;
    }

    private static void awaitServer(String base) throws InterruptedException {
        HttpClient client = HttpClient.newHttpClient();
        for (int i = 0; i < 300; i++) {
            try {
                client.send(HttpRequest.newBuilder(URI.create(base + "/q/health/live")).build(), HttpResponse.BodyHandlers.discarding());
                return;
            } catch (java.io.IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("the console never answered at " + base);
    }

    /** What one page load asks for, given a random source. */
    private interface PageRequests {
        List<String> paths(ThreadLocalRandom random);
    }

    private record Scenario(String name, PageRequests requests) {
    }

    /** {@code size.clients()} clients load pages back to back; one page's latency is its requests in sequence. */
    private static void load(String base, String token, Scenario scenario, Size size) throws Exception {
        long warmEnd = System.nanoTime() + size.warmUp().toNanos();
        long end = warmEnd + size.measure().toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(size.clients());
        List<Future<long[]>> results = new ArrayList<>();
        for (int i = 0; i < size.clients(); i++) {
            results.add(pool.submit(() -> {
                HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
                List<Long> latencies = new ArrayList<>();
                long requests = 0;
                while (System.nanoTime() < end) {
                    long start = System.nanoTime();
                    List<String> paths = scenario.requests().paths(ThreadLocalRandom.current());
                    for (String path : paths) {
                        HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(URI.create(base + path))
                                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofByteArray());
                        if (response.statusCode() != 200) {
                            throw new IllegalStateException(path + " answered " + response.statusCode() + ": "
                                    + new String(response.body()));
                        }
                    }
                    if (start >= warmEnd) {
                        latencies.add(System.nanoTime() - start);
                        requests += paths.size();
                    }
                }
                long[] out = new long[latencies.size() + 1];
                out[0] = requests;
                for (int k = 0; k < latencies.size(); k++) {
                    out[k + 1] = latencies.get(k);
                }
                return out;
            }));
        }
        List<Long> latencies = new ArrayList<>();
        long requests = 0;
        for (Future<long[]> f : results) {
            long[] r = f.get();
            requests += r[0];
            for (int k = 1; k < r.length; k++) {
                latencies.add(r[k]);
            }
        }
        pool.shutdown();
        Collections.sort(latencies);
        double seconds = size.measure().toNanos() / 1e9;
        System.out.printf("%-40s %10.1f %12.1f %10.1f %10.1f%n", scenario.name(), latencies.size() / seconds,
                requests / seconds, percentile(latencies, 0.5), percentile(latencies, 0.99));
    }

    private static double percentile(List<Long> sortedNanos, double q) {
        if (sortedNanos.isEmpty()) {
            return Double.NaN;
        }
        return sortedNanos.get((int) Math.min(sortedNanos.size() - 1, Math.floor(q * sortedNanos.size()))) / 1e6;
    }
}
