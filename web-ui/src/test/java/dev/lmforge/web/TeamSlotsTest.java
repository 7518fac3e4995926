package dev.lmforge.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lmforge.services.ledger.RunStore;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.web.ledger.TeamSlots;
import dev.lmforge.web.temporal.ControlPlane;
import dev.lmforge.web.temporal.RunReconciler;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One team cannot starve another: with one running stage per team and queue, team red's second run waits for its
 * first, while team blue's run starts at once; when red's first run is cancelled, its second takes the slot.
 * Waiting stages are served oldest first, and woken within seconds of a slot freeing, also when the start-up
 * reconciler frees it.
 * On the real stack, with the real Temporal server.
 */
@QuarkusTest
@TestProfile(TeamSlotsTest.OneStagePerTeam.class)
@QuarkusTestResource(value = LocalStackTestResource.class, restrictToAnnotatedClass = true)
class TeamSlotsTest {

    /** One running stage per team and task queue. */
    public static final class OneStagePerTeam implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(ControlPlane.TEAM_STAGES_KEY, "1");
        }
    }

    /** A data stage at the slowest allowed read rate: it runs for minutes unless cancelled. */
    static final String SLOW = AccessControlTest.SLOW_SPEC.replace("300000", "65536");

    @Inject
    UserStore users;
    @Inject
    RunStore runStore;
    @Inject
    RunReconciler reconciler;
    @Inject
    ControlPlane controlPlane;

    @BeforeAll
    static void yamlIsText() {
        AccessControlTest.yamlIsText();
    }

    private String operator(String name, String team) {
        users.createTeam(team);
        users.createUser(name, AccessControlTest.PASSWORD, UserStore.Role.OPERATOR, List.of(team));
        return users.createToken(name, "test").secret();
    }

    @Test
    void aTeamsSecondStageWaitsForItsFirstWhileAnotherTeamsRunsAtOnce() throws Exception {
        String red = operator("rhea", "red");
        String blue = operator("bo", "blue");
        String first = AccessControlTest.submit(red, SLOW);
        await(red, first, run -> attempts(run) > 0, "red's first run started on a worker");
        String second = AccessControlTest.submit(red, SLOW.replace("65536", "65537"));
        String other = AccessControlTest.submit(blue, SLOW);
        await(blue, other, run -> attempts(run) > 0, "blue's run started beside red's");
        JsonPath waiting = run(red, second);
        assertEquals("RUNNING", waiting.getString("status"));
        assertEquals(0, attempts(waiting), "red's second stage waits for red's slot: " + waiting.prettify());
        assertEquals(true, waiting.getBoolean("stages[0].waitingForSlot"));
        assertEquals(false, run(red, first).getBoolean("stages[0].waitingForSlot"));

        AccessControlTest.as(red).post("/api/runs/" + first + "/cancel").then().statusCode(200);
        await(red, first, run -> "CANCELLED".equals(run.getString("status")), "red's first run cancelled");
        await(red, second, run -> attempts(run) > 0, "red's second run took the freed slot");
        AccessControlTest.as(red).post("/api/runs/" + second + "/cancel").then().statusCode(200);
        AccessControlTest.as(blue).post("/api/runs/" + other + "/cancel").then().statusCode(200);
        await(red, second, run -> "CANCELLED".equals(run.getString("status")), "red's second run cancelled");
        await(blue, other, run -> "CANCELLED".equals(run.getString("status")), "blue's run cancelled");
    }

    /**
     * With one slot, three stages of one team that queue in order A, B, C behind a running one take the slot in
     * that order, each a few seconds after the one before it ends: they have waited 45 s by then, so their timed
     * tries are 20 s and more apart, and only the slotFreed signal explains a shorter gap. Another team's stage
     * starts at once meanwhile.
     */
    @Test
    void waitingStagesTakeTheFreedSlotOldestFirstAndWithinSeconds() throws Exception {
        String ochre = operator("ada", "ochre");
        String slate = operator("ted", "slate");
        String running = AccessControlTest.submit(ochre, SLOW.replace("65536", "65540"));
        await(ochre, running, run -> attempts(run) > 0, "ochre's first run started on a worker");
        List<String> queued = new ArrayList<>();
        for (String rate : List.of("65541", "65542", "65543")) {
            String id = AccessControlTest.submit(ochre, SLOW.replace("65536", rate));
            await(ochre, id, run -> run.getBoolean("stages[0].waitingForSlot"), "ochre's run " + id + " waits");
            queued.add(id);
        }
        String other = AccessControlTest.submit(slate, SLOW);
        await(slate, other, run -> attempts(run) > 0, "slate's run started while ochre's waited");
        Thread.sleep(Duration.ofSeconds(45).toMillis());

        String released = running;
        for (int i = 0; i < queued.size(); i++) {
            for (String later : queued.subList(i, queued.size())) {
                assertEquals(0, attempts(run(ochre, later)), "run " + later + " overtook: " + run(ochre, later).prettify());
            }
            AccessControlTest.as(ochre).post("/api/runs/" + released + "/cancel").then().statusCode(200);
            String next = queued.get(i);
            await(ochre, next, run -> attempts(run) > 0, "run " + next + " took the slot that " + released + " freed");
            Instant freed = Instant.parse(run(ochre, released).getString("stages[0].endedAt"));
            Instant started = Instant.parse(run(ochre, next).getString("stages[0].attempts[0].startedAt"));
            Duration gap = Duration.between(freed, started);
            System.out.printf("team-slots: %s (%s in line) started %d ms after %s freed the slot%n", next,
                    "ABC".charAt(i), gap.toMillis(), released);
            assertTrue(gap.compareTo(Duration.ofSeconds(10)) < 0, "waited " + gap + " after the slot freed");
            for (String later : queued.subList(i + 1, queued.size())) {
                assertEquals(true, run(ochre, later).getBoolean("stages[0].waitingForSlot"), "run " + later + " waits");
            }
            released = next;
        }
        AccessControlTest.as(ochre).post("/api/runs/" + released + "/cancel").then().statusCode(200);
        AccessControlTest.as(slate).post("/api/runs/" + other + "/cancel").then().statusCode(200);
        await(ochre, released, run -> "CANCELLED".equals(run.getString("status")), "ochre's last run cancelled");
        await(slate, other, run -> "CANCELLED".equals(run.getString("status")), "slate's run cancelled");
    }

    /**
     * A run whose workflow Temporal closed without the ledger hearing of it is marked INTERRUPTED by the start-up
     * reconciler, which frees the slot its stage held: the team's stage waiting for that slot takes it within
     * seconds. It has waited 45 s by then, so its next timed try is 15 s and more away, and only the reconciler's
     * slotFreed signal explains a shorter gap.
     */
    @Test
    void aRunTheReconcilerInterruptsHandsItsSlotToTheNextInLineWithinSeconds() throws Exception {
        String umber = operator("uma", "umber");
        String lost = AccessControlTest.submit(umber, SLOW.replace("65536", "65550"));
        await(umber, lost, run -> attempts(run) > 0, "umber's first run started on a worker");
        String next = AccessControlTest.submit(umber, SLOW.replace("65536", "65551"));
        await(umber, next, run -> run.getBoolean("stages[0].waitingForSlot"), "umber's second run waits");
        Thread.sleep(Duration.ofSeconds(45).toMillis());
        assertEquals(0, attempts(run(umber, next)), "the second run overtook: " + run(umber, next).prettify());

        // Temporal closes the workflow behind the ledger's back, as a server whose retention dropped it would.
        controlPlane.client().newUntypedWorkflowStub(run(umber, lost).getString("workflowId"))
                .terminate("closed without the ledger hearing of it");
        reconciler.reconcile(controlPlane.client(), new TeamSlots(runStore, 1));
        JsonPath interrupted = run(umber, lost);
        assertEquals("INTERRUPTED", interrupted.getString("status"), interrupted.prettify());
        await(umber, next, run -> attempts(run) > 0, "run " + next + " took the slot that the interrupted run freed");
        Instant freed = Instant.parse(interrupted.getString("stages[0].endedAt"));
        Instant started = Instant.parse(run(umber, next).getString("stages[0].attempts[0].startedAt"));
        Duration gap = Duration.between(freed, started);
        System.out.printf("team-slots: %s started %d ms after the reconciler interrupted %s%n", next, gap.toMillis(),
                lost);
        assertTrue(gap.compareTo(Duration.ofSeconds(10)) < 0, "waited " + gap + " after the slot freed");
        AccessControlTest.as(umber).post("/api/runs/" + next + "/cancel").then().statusCode(200);
        await(umber, next, run -> "CANCELLED".equals(run.getString("status")), "umber's second run cancelled");
    }

    private static int attempts(JsonPath run) {
        List<Object> list = run.getList("stages[0].attempts");
        return list == null ? 0 : list.size();
    }

    private static JsonPath run(String token, String id) {
        return AccessControlTest.as(token).get("/api/runs/" + id).then().statusCode(200).extract().jsonPath();
    }

    private static void await(String token, String id, Predicate<JsonPath> done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        JsonPath run = run(token, id);
        while (!done.test(run)) {
            assertTrue(System.nanoTime() < deadline, what + ", never: " + run.prettify());
            Thread.sleep(250);
            run = run(token, id);
        }
    }
}
