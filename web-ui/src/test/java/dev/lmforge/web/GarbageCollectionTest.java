package dev.lmforge.web;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lmforge.services.artifacts.ArtifactStore;
import dev.lmforge.services.artifacts.ArtifactStore.BucketObject;
import dev.lmforge.services.ledger.GarbageCollector;
import dev.lmforge.services.ledger.Ledger;
import dev.lmforge.services.ledger.Records.NewRun;
import dev.lmforge.services.ledger.Records.StoredObjectRecord;
import dev.lmforge.services.ledger.UserStore;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Garbage collection through the API on the real stack (PostgreSQL, S3Proxy, Temporal), on a stack of its own, so
 * that the bucket holds only what these tests wrote: after a seven-stage lifecycle a dry run plans exactly the data
 * stage's intermediates and deletes nothing, the real one deletes exactly those and the aligned model's lineage
 * still downloads; objects of a stage still running are never planned, whatever the grace, nor an unrecorded one
 * written since it began (a write whose record may be on its way); and with a team keeping
 * one run, a second run that reuses the first one's cached stages keeps what it reuses while the first run's own
 * artifacts go and answer 410.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, restrictToAnnotatedClass = true)
class GarbageCollectionTest {

    private static final String TEAM = "gc";

    @Inject
    UserStore users;
    @Inject
    Ledger ledger;
    @Inject
    ArtifactStore store;
    @Inject
    AgroalDataSource dataSource;

    @BeforeEach
    void asAdmin() {
        AccessControlTest.yamlIsText();
        AdminToken.useFor(users, "GarbageCollectionTest");
        if (!users.teams().contains(TEAM)) {
            users.createTeam(TEAM);
        }
    }

    @AfterEach
    void signOut() {
        AdminToken.forget();
    }

    static String spec(String name, String learningRate) {
        return "name: " + name + "\nteam: " + TEAM + "\ncorpus:\n  sources:\n    - path: " + LifecycleApiTest.CORPUS
                + "\ntokenizer:\n  vocabSize: 512\ncompute:\n  budget: 3.0e10\nplan:\n  seqLen: 32\n"
                + "evaluation:\n  items: 8\n  heldOutDocuments: 3\nsft:\n  epochs: 1\n  learningRate: " + learningRate + "\n";
    }

    static JsonPath gc(boolean dryRun, int graceMinutes) {
        return given().post("/api/admin/gc?dryRun=" + dryRun + "&graceMinutes=" + graceMinutes)
                .then().statusCode(200).extract().jsonPath();
    }

    private Map<String, Long> bucket() {
        Map<String, Long> keys = new java.util.TreeMap<>();
        for (String prefix : List.of("artifacts/", "staging/")) {
            store.objects(prefix).forEach(o -> keys.put(o.key(), o.sizeBytes()));
        }
        return keys;
    }

    private List<String> strings(String sql) throws Exception {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            List<String> rows = new ArrayList<>();
            while (rs.next()) {
                rows.add(rs.getString(1));
            }
            return rows;
        }
    }

    /** Every artifact of the up lineage of {@code digest}, with the digest itself. */
    private static Set<String> lineageUp(String digest) {
        return new TreeSet<>(given().queryParam("direction", "up").get("/api/artifacts/" + digest + "/lineage")
                .then().statusCode(200).extract().jsonPath().getList("artifacts.digest", String.class));
    }

    private static void downloads(Set<String> digests) {
        for (String d : digests) {
            given().get("/api/artifacts/" + d + "/content").then().statusCode(200);
        }
    }

    @Test
    void bareRequestsAreRefusedAsProblemsNamingTheField() {
        given().post("/api/admin/gc?dryRun=maybe").then().statusCode(400).contentType(containsString("problem+json"))
                .body("errors[0].field", equalTo("dryRun"));
        given().post("/api/admin/gc?graceMinutes=-1").then().statusCode(400).body("errors[0].field", equalTo("graceMinutes"))
                .body(org.hamcrest.Matchers.not(containsString("-1")));
        given().contentType("application/json").body(Map.of("keepRuns", 0)).put("/api/teams/" + TEAM + "/retention")
                .then().statusCode(400).contentType(containsString("problem+json")).body("errors[0].field", equalTo("keepRuns"));
        given().get("/api/teams/nobody/retention").then().statusCode(404).contentType(containsString("problem+json"));
        if (users.user("gc-viewer").isEmpty()) {
            users.createUser("gc-viewer", "a-long-enough-password-1", UserStore.Role.OPERATOR, List.of(TEAM));
        }
        String token = users.createToken("gc-viewer", "test").secret();
        AdminToken.forget();
        given().header("Authorization", "Bearer " + token).post("/api/admin/gc?dryRun=true").then().statusCode(403)
                .contentType(containsString("problem+json"));
        given().header("Authorization", "Bearer " + token).get("/api/teams/" + TEAM + "/retention").then().statusCode(403);
        given().post("/api/admin/gc").then().statusCode(401);
    }

    @Test
    void collectionKeepsWhatLineageNeedsNeverTouchesRunningStagesAndRetentionDropsOnlyTheOldRunsOwn() throws Exception {
        // ---- one lifecycle: the plan is exactly the data stage's intermediates
        String first = LifecycleApiTest.submit(spec("gc-first", "1.0e-3"));
        JsonPath a = LifecycleApiTest.awaitStatus(first, "SUCCEEDED");
        String alignedA = a.getString("stages.find { it.stage == 'align' }.outputs.model");
        Set<String> lineageA = lineageUp(alignedA);
        Map<String, Long> before = bucket();
        Set<String> intermediates = new TreeSet<>(strings("SELECT DISTINCT so.digest FROM stored_objects so "
                + "WHERE so.run_id = '" + first + "' AND NOT EXISTS (SELECT 1 FROM artifacts x WHERE x.digest = so.digest)"));
        Set<String> intermediateKinds = new TreeSet<>(strings("SELECT DISTINCT so.kind FROM stored_objects so "
                + "WHERE so.run_id = '" + first + "' AND NOT EXISTS (SELECT 1 FROM artifacts x WHERE x.digest = so.digest)"));
        assertTrue(intermediateKinds.containsAll(Set.of("band-file", "pair-file")), intermediateKinds.toString());

        JsonPath dry = gc(true, 0);
        Set<String> planned = new TreeSet<>(dry.getList("objects.digest", String.class));
        assertEquals(intermediates, planned, dry.prettify());
        assertEquals(List.of(GarbageCollector.INTERMEDIATE), dry.getList("objects.reason").stream().distinct().toList());
        assertEquals(Set.of("data"), new HashSet<>(dry.getList("objects.stage")));
        assertTrue(planned.stream().noneMatch(lineageA::contains), "no lineage artifact is planned");
        assertEquals(before, bucket(), "a dry run deletes nothing");
        long plannedBytes = dry.getLong("bytesPlanned");

        JsonPath real = gc(false, 0);
        assertEquals(planned.size(), real.getInt("deleted"));
        Map<String, Long> after = bucket();
        Map<String, Long> expected = new java.util.TreeMap<>(before);
        real.getList("objects.key", String.class).forEach(expected::remove);
        assertEquals(expected, after, "the bucket shrinks by exactly the planned objects");
        System.out.printf("gc after one lifecycle: %d objects, %d bytes before; %d deleted (%d bytes); %d objects, %d bytes after%n",
                before.size(), before.values().stream().mapToLong(Long::longValue).sum(), real.getInt("deleted"),
                plannedBytes, after.size(), after.values().stream().mapToLong(Long::longValue).sum());
        downloads(lineageA);
        assertEquals(0, gc(true, 0).getInt("planned"), "nothing more to collect");

        // ---- a stage still running: its objects and its run's snapshot are never planned, whatever the grace
        String live = "run-gc-live-" + UUID.randomUUID().toString().substring(0, 8);
        String unrecorded = store.put(("nobody's " + live).getBytes(StandardCharsets.UTF_8)).digest();
        LifecycleApiTest.sleep(2_500); // past the listing's whole seconds, so that it is older than the live run
        ledger.runs().createRun(new NewRun(live, "live", null, "admin", "{}", "{}", List.of("data"), null));
        long stage = ledger.runs().beginStage(live, "data", 1, "gc-live-key-" + live, "{}", Map.of(), null);
        String band = store.put(("band of " + live).getBytes(StandardCharsets.UTF_8)).digest();
        String snapshot = store.put(("snapshot of " + live).getBytes(StandardCharsets.UTF_8)).digest();
        String inFlight = store.put(("not yet recorded " + live).getBytes(StandardCharsets.UTF_8)).digest();
        ledger.artifacts().recordStoredObject(new StoredObjectRecord(band, "band-file", live, "data", stage, 20, null));
        ledger.artifacts().recordStoredObject(new StoredObjectRecord(snapshot, "raw-dump", live, "data", null, 20, null));
        JsonPath running = gc(true, 0);
        assertEquals(List.of(unrecorded), running.getList("objects.digest"), running.prettify());
        assertEquals(List.of(GarbageCollector.UNRECORDED), running.getList("objects.reason"));
        assertEquals(0, gc(true, 60).getInt("planned"), "within the grace nothing goes");
        ledger.runs().stageEnded(stage, "FAILED", "test");
        ledger.runs().setRunStatus(live, "FAILED", "test");
        JsonPath ended = gc(false, 0);
        assertEquals(new TreeSet<>(List.of(band, snapshot, unrecorded, inFlight)), new TreeSet<>(ended.getList("objects.digest")));
        assertEquals(4, ended.getInt("deleted"));

        // ---- retention: a team keeping one run; the second reuses the first's cached stages up to alignment
        String second = LifecycleApiTest.submit(spec("gc-second", "2.0e-3"));
        JsonPath b = LifecycleApiTest.awaitStatus(second, "SUCCEEDED");
        assertEquals("REUSED", b.getString("stages.find { it.stage == 'pretrain' }.status"), b.prettify());
        assertEquals("SUCCEEDED", b.getString("stages.find { it.stage == 'align' }.status"), b.prettify());
        String alignedB = b.getString("stages.find { it.stage == 'align' }.outputs.model");
        Set<String> neededByB = lineageUp(alignedB);
        b.getList("stages", Map.class).forEach(s -> {
            neededByB.addAll(((Map<String, String>) s.get("inputs")).values());
            neededByB.addAll(((Map<String, String>) s.get("outputs")).values());
        });
        Set<String> corpusParts = new TreeSet<>(strings("SELECT digest FROM artifacts WHERE kind = 'corpus-part'"));
        assertFalse(corpusParts.isEmpty());

        given().contentType("application/json").body(Map.of("keepRuns", 1)).put("/api/teams/" + TEAM + "/retention")
                .then().statusCode(200).body("keepRuns", equalTo(1)).body("keepDays", equalTo(null));
        given().get("/api/teams/" + TEAM + "/retention").then().statusCode(200).body("keepRuns", equalTo(1));
        JsonPath retained = gc(true, 0);
        assertEquals(List.of(first), retained.getList("droppedRuns"), retained.prettify());
        Set<String> dropped = new TreeSet<>(retained.getList("objects.digest", String.class));
        assertTrue(dropped.contains(alignedA), "the first run's own aligned model goes: " + retained.prettify());
        assertEquals(List.of(GarbageCollector.DROPPED), retained.getList("objects.reason").stream().distinct().toList());
        assertTrue(dropped.stream().noneMatch(neededByB::contains), "nothing the kept run's lineage reaches goes");
        assertTrue(dropped.stream().noneMatch(corpusParts::contains), "the reused corpus keeps the parts it names");
        Set<String> reusedFromFirst = lineageA.stream().filter(neededByB::contains).collect(Collectors.toSet());
        assertTrue(reusedFromFirst.size() > 4, "the second run reuses the first's data, tokenizer and checkpoint");

        JsonPath collected = gc(false, 0);
        assertEquals(dropped.size(), collected.getInt("deleted"));
        given().get("/api/artifacts/" + alignedA + "/content").then().statusCode(410)
                .contentType(containsString("problem+json")).body("title", equalTo("Gone"));
        assertNotNull(given().get("/api/artifacts/" + alignedA).then().statusCode(200).extract().path("deletedAt"));
        List<String> collectedOutputs = LifecycleApiTest.run(first).getList("collectedOutputs", String.class);
        assertTrue(collectedOutputs.contains(alignedA), "the dropped run's view says what was removed: " + collectedOutputs);
        assertTrue(collectedOutputs.stream().noneMatch(neededByB::contains));
        assertEquals(List.of(), LifecycleApiTest.run(second).getList("collectedOutputs"));
        given().queryParam("direction", "up").get("/api/artifacts/" + alignedA + "/lineage").then().statusCode(200);
        downloads(neededByB);
        downloads(corpusParts);
        Set<BucketObject> left = new HashSet<>(store.objects("artifacts/"));
        assertTrue(left.stream().noneMatch(o -> dropped.stream().anyMatch(d -> o.key().endsWith("/" + d))));

        List<String> actions = strings("SELECT action FROM audit_events WHERE action LIKE 'gc.%' OR action = 'team.retention.set' ORDER BY id");
        assertTrue(actions.containsAll(List.of("gc.plan", "gc.collect", "team.retention.set")), actions.toString());
    }
}
