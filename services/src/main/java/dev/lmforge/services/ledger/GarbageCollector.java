package dev.lmforge.services.ledger;

import static dev.lmforge.services.ledger.Jdbc.instant;

import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.artifacts.ArtifactStore.BucketObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes from the artifact store what no retained run needs. A run is retained while it has not ended, when its
 * team keeps every run (the default, no {@code team_retention} row), or when it is among the newest
 * {@code keep_runs} of its team or younger than {@code keep_days}. Kept, whatever else holds:
 * <ul>
 *     <li>every artifact a stage of a retained run consumed or produced (reused edges of cache hits included) and,
 *     walking up from those, every artifact the stages that produced them consumed, back to the raw inputs; the
 *     unpruned checkpoints of a retained run's cache keys; the models its evaluations measured; and every artifact
 *     the stages behind all those wrote, which their bytes may name (a corpus manifest its parts);</li>
 *     <li>any object a stage that has not ended wrote (RUNNING, WAITING), or a snapshot (no stage row) of a run
 *     that has not ended: such a stage may still read it; and any object without a record, or staging key, written
 *     since the oldest such stage or run began: it may be a write whose record has not landed yet;</li>
 *     <li>anything written, or recorded, within the grace period;</li>
 *     <li>every key outside {@code artifacts/} and {@code staging/}: named objects such as the audit log's anchors
 *     are never listed, let alone removed.</li>
 * </ul>
 * What goes: intermediates (objects only {@code stored_objects} knows, such as band, pair and removal files) of
 * stages that ended; artifacts whose every referring run was dropped by its team's retention; objects with no
 * record at all (written before the ledger recorded every write, or by a benchmark); and {@code staging/} keys
 * of uploads abandoned midway. Deleting keeps the records and marks them deleted, so lineage still names the
 * artifact and a download of it can say that it was collected.
 */
public final class GarbageCollector {

    /** Why an object goes. */
    public static final String INTERMEDIATE = "intermediate of an ended stage";
    public static final String DROPPED = "only runs dropped by retention refer to it";
    public static final String UNRECORDED = "no record";
    public static final String ABANDONED = "abandoned staging upload";

    /** S3 listings give an object's last write in whole seconds. */
    private static final Duration LISTING_PRECISION = Duration.ofSeconds(2);
    private static final Pattern ARTIFACT_KEY = Pattern.compile("artifacts/sha256/([0-9a-f]{2})/(\\1[0-9a-f]{62})");
    /** Stages that will write or read nothing more. */
    private static final Set<String> ENDED_STAGES;

    static {
        Set<String> ended = new HashSet<>(RunStore.TERMINAL);
        ended.add("REUSED");
        ENDED_STAGES = Set.copyOf(ended);
    }

    private final Jdbc jdbc;
    private final ArtifactStore store;

    public GarbageCollector(Jdbc jdbc, ArtifactStore store) {
        this.jdbc = jdbc;
        this.store = store;
    }

    /** A team's retention; both null: every run is kept. */
    public record Retention(String team, Integer keepRuns, Integer keepDays) {
    }

    /** An object the collector removes (or would): its key, digest (null for a staging key), kind, size and why. */
    public record Doomed(String key, String digest, String kind, long sizeBytes, String reason, String runId,
                         String stage) {
    }

    /**
     * What one collection found and did: the bucket's objects and bytes it looked at (under {@code artifacts/} and
     * {@code staging/}), the runs retention dropped, the objects that go and their bytes, and how many were deleted
     * (0 on a dry run; fewer than planned when a stage took one up again between the plan and its deletion).
     */
    public record Plan(Instant at, Duration grace, boolean dryRun, long objectsListed, long bytesListed,
                       List<String> droppedRuns, List<Doomed> objects, long bytes, int deleted, long bytesDeleted) {
    }

    // ---- retention

    /** The team's retention (both limits null when it has none). */
    public Retention retention(String team) {
        return jdbc.queryOne("SELECT keep_runs, keep_days FROM team_retention WHERE team = ?",
                rs -> new Retention(team, (Integer) rs.getObject(1), (Integer) rs.getObject(2)), team)
                .orElse(new Retention(team, null, null));
    }

    /** Sets a team's retention; both null removes it, so that every run is kept again. */
    public void setRetention(String team, Integer keepRuns, Integer keepDays) {
        if (keepRuns == null && keepDays == null) {
            jdbc.update("DELETE FROM team_retention WHERE team = ?", team);
        } else {
            jdbc.update("INSERT INTO team_retention (team, keep_runs, keep_days) VALUES (?, ?, ?) ON CONFLICT (team) "
                    + "DO UPDATE SET keep_runs = EXCLUDED.keep_runs, keep_days = EXCLUDED.keep_days, updated_at = now()",
                    team, keepRuns, keepDays);
        }
    }

    // ---- collection

    /**
     * Plans a collection with {@code grace} and, unless {@code dryRun}, deletes what the plan names. Each object's
     * writers are looked at again just before it is deleted, and one that a stage has written again since the plan
     * began, or that a stage still running recorded, stays.
     */
    public Plan collect(Duration grace, boolean dryRun) {
        Instant at = Instant.now();
        // Listed first: an object written after the listing is simply not looked at this time.
        List<BucketObject> listed = new ArrayList<>(store.objects("artifacts/"));
        listed.addAll(store.objects("staging/"));
        Set<String> keptRuns = new HashSet<>(jdbc.query(KEPT_RUNS + "SELECT id FROM kept", rs -> rs.getString(1),
                (Object) terminal()));
        List<String> droppedRuns = jdbc.query(KEPT_RUNS + "SELECT id FROM runs WHERE id NOT IN (SELECT id FROM kept) "
                + "ORDER BY created_at, id", rs -> rs.getString(1), (Object) terminal());
        Set<String> retained = new HashSet<>(jdbc.query(KEPT_RUNS + RETAINED, rs -> rs.getString(1), (Object) terminal()));
        Map<String, Instant> artifacts = new HashMap<>();
        Map<String, String> artifactKinds = new HashMap<>();
        jdbc.query("SELECT digest, kind, created_at FROM artifacts", rs -> {
            artifacts.put(rs.getString(1), instant(rs, "created_at"));
            artifactKinds.put(rs.getString(1), rs.getString(2));
            return null;
        });
        Map<String, List<Writer>> writers = writers();
        Map<String, Set<String>> referringRuns = new HashMap<>();
        jdbc.query("SELECT l.artifact, s.run_id FROM lineage l JOIN stages s ON s.id = l.stage_id "
                + "UNION SELECT digest, run_id FROM checkpoints UNION SELECT model, run_id FROM evaluation_results", rs -> {
            referringRuns.computeIfAbsent(rs.getString(1), d -> new HashSet<>()).add(rs.getString(2));
            return null;
        });
        Set<String> knownRuns = new HashSet<>(jdbc.query("SELECT id FROM runs", rs -> rs.getString(1)));
        Instant cutoff = at.minus(grace);
        // An object without a record may be a write in flight whose record has not landed yet: only one from before
        // every stage and run still going began is surely nobody's.
        Instant unrecordedBefore = jdbc.queryOne("SELECT least((SELECT min(started_at) FROM stages WHERE NOT status = ANY (?)), "
                        + "(SELECT min(created_at) FROM runs WHERE NOT status = ANY (?))) AS since",
                rs -> instant(rs, "since"), ENDED_STAGES.toArray(String[]::new), terminal())
                .map(since -> since.minus(LISTING_PRECISION)).orElse(cutoff);

        List<Doomed> doomed = new ArrayList<>();
        long bytesListed = 0;
        for (BucketObject object : listed) {
            bytesListed += object.sizeBytes();
            if (!object.lastModified().isBefore(cutoff)) {
                continue;
            }
            boolean beforeAnyLive = object.lastModified().isBefore(unrecordedBefore);
            if (object.key().startsWith("staging/")) {
                if (beforeAnyLive) {
                    doomed.add(new Doomed(object.key(), null, null, object.sizeBytes(), ABANDONED, null, null));
                }
                continue;
            }
            Matcher m = ARTIFACT_KEY.matcher(object.key());
            if (!m.matches()) {
                continue; // Not a key this store writes: not ours to judge.
            }
            String digest = m.group(2);
            if (retained.contains(digest)) {
                continue;
            }
            List<Writer> wrote = writers.getOrDefault(digest, List.of());
            if (wrote.stream().anyMatch(w -> w.live() || !w.createdAt().isBefore(cutoff))
                    || (artifacts.containsKey(digest) && !artifacts.get(digest).isBefore(cutoff))) {
                continue;
            }
            Writer first = wrote.isEmpty() ? null : wrote.get(0);
            String runId = first == null ? null : first.runId();
            String stage = first == null ? null : first.stage();
            if (artifacts.containsKey(digest)) {
                Set<String> runs = new TreeSet<>(referringRuns.getOrDefault(digest, Set.of()));
                wrote.forEach(w -> {
                    if (w.runId() != null) {
                        runs.add(w.runId());
                    }
                });
                runs.retainAll(knownRuns);
                // An artifact that no run refers to is someone's record all the same: kept.
                if (!runs.isEmpty() && runs.stream().noneMatch(keptRuns::contains)) {
                    doomed.add(new Doomed(object.key(), digest, artifactKinds.get(digest), object.sizeBytes(), DROPPED,
                            runs.iterator().next(), stage));
                }
            } else if (first != null) {
                doomed.add(new Doomed(object.key(), digest, first.kind(), object.sizeBytes(), INTERMEDIATE, runId, stage));
            } else if (beforeAnyLive) {
                doomed.add(new Doomed(object.key(), digest, null, object.sizeBytes(), UNRECORDED, null, null));
            }
        }
        long bytes = doomed.stream().mapToLong(Doomed::sizeBytes).sum();
        int deleted = 0;
        long bytesDeleted = 0;
        if (!dryRun) {
            for (Doomed d : doomed) {
                if (delete(d, at)) {
                    deleted++;
                    bytesDeleted += d.sizeBytes();
                }
            }
        }
        return new Plan(at, grace, dryRun, listed.size(), bytesListed, droppedRuns, doomed, bytes, deleted, bytesDeleted);
    }

    /** Deletes one planned object unless a stage took it up since {@code planned}; true when it was deleted. */
    private boolean delete(Doomed d, Instant planned) {
        if (d.digest() == null) {
            store.deleteStaging(d.key());
            return true;
        }
        boolean takenUp = jdbc.queryOne("SELECT 1 FROM stored_objects so LEFT JOIN stages s ON s.id = so.stage_id "
                        + "LEFT JOIN runs r ON r.id = so.run_id WHERE so.digest = ? AND (so.created_at >= ? "
                        + "OR (so.stage_id IS NOT NULL AND NOT s.status = ANY (?)) "
                        + "OR (so.stage_id IS NULL AND r.id IS NOT NULL AND NOT r.status = ANY (?))) LIMIT 1",
                rs -> true, d.digest(), java.sql.Timestamp.from(planned), ENDED_STAGES.toArray(String[]::new),
                terminal()).isPresent()
                || jdbc.queryOne("SELECT 1 FROM artifacts WHERE digest = ? AND created_at >= ?", rs -> true,
                d.digest(), java.sql.Timestamp.from(planned)).isPresent();
        if (takenUp) {
            return false;
        }
        store.delete(d.digest());
        jdbc.update("UPDATE stored_objects SET deleted_at = now() WHERE digest = ? AND deleted_at IS NULL", d.digest());
        jdbc.update("UPDATE artifacts SET deleted_at = now() WHERE digest = ? AND deleted_at IS NULL", d.digest());
        return true;
    }

    /** One writer of an object; {@code live}: its stage, or for a snapshot its run, has not ended. */
    private record Writer(String kind, String runId, String stage, Instant createdAt, boolean live) {
    }

    private Map<String, List<Writer>> writers() {
        Map<String, List<Writer>> writers = new HashMap<>();
        jdbc.query("SELECT so.digest, so.kind, so.run_id, so.stage, so.created_at, "
                + "CASE WHEN so.stage_id IS NOT NULL THEN NOT s.status = ANY (?) "
                + "ELSE r.id IS NOT NULL AND NOT r.status = ANY (?) END AS live "
                + "FROM stored_objects so LEFT JOIN stages s ON s.id = so.stage_id LEFT JOIN runs r ON r.id = so.run_id "
                + "ORDER BY so.created_at, so.digest", rs -> {
            writers.computeIfAbsent(rs.getString(1), d -> new ArrayList<>()).add(new Writer(rs.getString(2),
                    rs.getString(3), rs.getString(4), instant(rs, "created_at"), rs.getBoolean(6)));
            return null;
        }, ENDED_STAGES.toArray(String[]::new), terminal());
        return writers;
    }

    private static String[] terminal() {
        return RunStore.TERMINAL.toArray(String[]::new);
    }

    /**
     * The retained runs as {@code kept}: those that have not ended (the one parameter: the terminal statuses),
     * those of a team without limits, and those within either of its team's limits.
     */
    private static final String KEPT_RUNS = "WITH RECURSIVE ranked AS (SELECT id, team, status, created_at, "
            + "row_number() OVER (PARTITION BY team ORDER BY created_at DESC, id DESC) AS n FROM runs), "
            + "kept AS (SELECT k.id FROM ranked k LEFT JOIN team_retention t ON t.team = k.team "
            + "WHERE NOT k.status = ANY (?) OR t.team IS NULL "
            + "OR (t.keep_runs IS NOT NULL AND k.n <= t.keep_runs) "
            + "OR (t.keep_days IS NOT NULL AND k.created_at > now() - make_interval(days => t.keep_days))) ";

    /**
     * The digests retained runs need: their stages' lineage in both directions, unpruned checkpoints of their cache
     * keys and their own, the models their evaluations measured, and upwards from all of those what produced them;
     * then every artifact that a stage they need wrote (their own, those their cache hits reused, those that
     * produced what they need), since an artifact may name others in its bytes (a corpus manifest its parts) where
     * lineage does not see them.
     */
    private static final String RETAINED = ", seed(artifact) AS ("
            + "SELECT l.artifact FROM lineage l JOIN stages s ON s.id = l.stage_id WHERE s.run_id IN (SELECT id FROM kept) "
            + "UNION SELECT c.digest FROM checkpoints c WHERE NOT c.pruned AND (c.run_id IN (SELECT id FROM kept) "
            + "OR c.cache_key IN (SELECT cache_key FROM stages WHERE run_id IN (SELECT id FROM kept))) "
            + "UNION SELECT e.model FROM evaluation_results e WHERE e.run_id IN (SELECT id FROM kept)), "
            + "walk(artifact) AS (SELECT artifact FROM seed UNION SELECT next.artifact FROM walk "
            + "JOIN lineage hop ON hop.artifact = walk.artifact AND hop.direction = 'produced' "
            + "JOIN lineage next ON next.stage_id = hop.stage_id AND next.direction = 'consumed') "
            + ", needed(stage_id) AS (SELECT id FROM stages WHERE run_id IN (SELECT id FROM kept) "
            + "UNION SELECT reused_from FROM stages WHERE run_id IN (SELECT id FROM kept) AND reused_from IS NOT NULL "
            + "UNION SELECT l.stage_id FROM lineage l JOIN walk w ON w.artifact = l.artifact WHERE l.direction = 'produced') "
            + "SELECT artifact FROM walk UNION SELECT so.digest FROM stored_objects so JOIN artifacts a ON a.digest = so.digest "
            + "WHERE so.stage_id IN (SELECT stage_id FROM needed)";
}
