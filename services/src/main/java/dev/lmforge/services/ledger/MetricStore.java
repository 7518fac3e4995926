package dev.lmforge.services.ledger;

import static dev.lmforge.services.ledger.Jdbc.execute;

import dev.lmforge.services.ledger.Records.EvaluationResult;
import dev.lmforge.services.ledger.Records.MetricPoint;
import dev.lmforge.services.ledger.Records.MetricSummary;
import java.sql.PreparedStatement;
import java.util.List;

/** Metric series that stages record step by step, and evaluation figures, in the ledger. */
public final class MetricStore {

    private final Jdbc jdbc;

    public MetricStore(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    // ---- metrics

    public void recordMetric(String runId, String stage, String name, long step, double value) {
        recordMetrics(runId, stage, name, List.of(new MetricPoint(step, value)));
    }

    /** Appends many points of one series in one transaction (one round trip per batch, not per point). */
    public void recordMetrics(String runId, String stage, String name, List<MetricPoint> points) {
        jdbc.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO metrics (run_id, stage, name, step, value) VALUES (?, ?, ?, ?, ?)")) {
                for (MetricPoint p : points) {
                    ps.setString(1, runId);
                    ps.setString(2, stage);
                    ps.setString(3, name);
                    ps.setLong(4, p.step());
                    ps.setDouble(5, p.value());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
    }

    /** The most points one series read returns: plenty for a chart as wide as a screen. */
    public static final int MAX_SERIES_POINTS = 5000;

    /** Each metric series of a run with its point count and last value. */
    public List<MetricSummary> metricSummaries(String runId) {
        return jdbc.query("SELECT DISTINCT ON (stage, name) stage, name, count(*) OVER (PARTITION BY stage, name), step, value "
                        + "FROM metrics WHERE run_id = ? ORDER BY stage, name, step DESC, at DESC",
                rs -> new MetricSummary(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getDouble(5)), runId);
    }

    /**
     * One series, downsampled on the server to at most {@code maxPoints} (at least 2): the first point, every k-th
     * after it and the last, with k = ceil((n - 1) / (maxPoints - 1)).
     */
    public List<MetricPoint> metricSeries(String runId, String stage, String name, int maxPoints) {
        return jdbc.query("WITH s AS (SELECT step, value, row_number() OVER (ORDER BY step) AS i, count(*) OVER () AS n "
                        + "FROM metrics WHERE run_id = ? AND stage = ? AND name = ?) "
                        + "SELECT step, value FROM s WHERE (i - 1) % GREATEST(1, CEIL((n - 1)::numeric / ?)::int) = 0 "
                        + "OR i = n ORDER BY step",
                rs -> new MetricPoint(rs.getLong(1), rs.getDouble(2)), runId, stage, name, Math.max(2, maxPoints) - 1);
    }

    // ---- evaluation results

    /** Records evaluation figures; a figure recorded again for the same run, stage, task and metric replaces it. */
    public void recordEvaluations(List<EvaluationResult> results) {
        jdbc.inTransaction(c -> {
            for (EvaluationResult r : results) {
                execute(c, "INSERT INTO evaluation_results (run_id, stage, model, task, metric, value, n, stderr) "
                                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, stage, task, metric) DO UPDATE "
                                + "SET model = EXCLUDED.model, value = EXCLUDED.value, n = EXCLUDED.n, "
                                + "stderr = EXCLUDED.stderr, at = now()",
                        r.runId(), r.stage(), r.model(), r.task(), r.metric(), r.value(), r.n(), r.stderr());
            }
            return null;
        });
    }

    /** A run's evaluation figures, by stage, task and metric. */
    public List<EvaluationResult> evaluations(String runId) {
        return jdbc.query("SELECT * FROM evaluation_results WHERE run_id = ? ORDER BY stage, task, metric",
                rs -> new EvaluationResult(rs.getString("run_id"), rs.getString("stage"), rs.getString("model"),
                        rs.getString("task"), rs.getString("metric"), rs.getDouble("value"), rs.getLong("n"),
                        (Double) rs.getObject("stderr")), runId);
    }
}
