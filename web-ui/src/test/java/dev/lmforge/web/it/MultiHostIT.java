package dev.lmforge.web.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * lmforge across hosts, the hosts being Linux network namespaces with their own addresses on a bridge: host 1 (this
 * namespace, 10.231.0.1) runs the local stack and the console bound to its bridge address; hosts 2 and 3
 * (namespaces {@code lmforge-h2}, {@code lmforge-h3}) each run a compute worker that knows only what the console
 * advertised in {@code worker.env}, on a queue of their own. The data stage runs on host 2; host 2's worker is
 * killed with SIGKILL mid-stage, host 3's takes the stage over from its checkpoint, and the run succeeds. The ledger's
 * attempts name each host by the address it reached Temporal from. Needs root and {@code ip netns}: skipped otherwise.
 */
class MultiHostIT {

    static final String BRIDGE = "lmforge-br0";
    static final String HOST_1 = "10.231.0.1";
    static final String QUEUE = "multihost-cpu";

    @Test
    void aStageOnAWorkerOfAnotherHostIsTakenOverByAThirdHostWhenItsWorkerDies(@TempDir Path dir) throws Exception {
        assumeTrue(run("id", "-u").strip().equals("0"), "network namespaces need root");
        assumeTrue(succeeds("ip", "netns", "list"), "`ip netns` is not available (iproute2)");
        removeHosts();  // whatever a failed earlier run left
        try {
            addBridge();
            addHost("lmforge-h2", 2);
            addHost("lmforge-h3", 3);
            try (LmforgeProcesses lmforge = new LmforgeProcesses(dir, HOST_1,
                    Map.of("LMFORGE_QUEUE_CPU", QUEUE, "LMFORGE_QUEUE_GPU", QUEUE + "-gpu"))) {
                lmforge.startServer(false);
                Process host2 = lmforge.startWorkerIn("lmforge-h2", QUEUE);
                lmforge.awaitLog(host2, "polling [" + QUEUE + "]", Duration.ofSeconds(60));
                RunApi api = new RunApi(lmforge);

                String id = api.submit(WorkerTakeoverIT.spec(120_000));
                api.await(id, r -> !r.getList("metrics").isEmpty(), "a finished part", Duration.ofSeconds(120));
                // Time for the part's checkpoint to be heartbeated (10 s heartbeat timeout, throttled heartbeats).
                Thread.sleep(9_000);
                JsonPath running = api.run(id);
                assertEquals("RUNNING", running.getString("stages[0].status"), "the stage must still be running when killed");
                assertTrue(running.getString("stages[0].attempts[0].worker").endsWith("/10.231.0.2"), running.prettify());
                LmforgeProcesses.kill(host2);
                lmforge.startWorkerIn("lmforge-h3", QUEUE);

                JsonPath done = api.await(id, r -> r.getString("status").equals("SUCCEEDED")
                        || r.getString("status").equals("FAILED"), "an end", Duration.ofSeconds(150));
                assertEquals("SUCCEEDED", done.getString("status"), done.prettify());
                assertEquals(List.of("LOST", "SUCCEEDED"), done.getList("stages[0].attempts.status"), done.prettify());
                String first = done.getString("stages[0].attempts[0].worker");
                String second = done.getString("stages[0].attempts[1].worker");
                assertTrue(first.startsWith("worker-" + QUEUE + "@") && first.endsWith("/10.231.0.2"), first);
                assertTrue(second.startsWith("worker-" + QUEUE + "@") && second.endsWith("/10.231.0.3"), second);
                assertNotNull(done.getString("stages[0].attempts[1].resumedFromCheckpoint"),
                        "host 3 must resume from host 2's heartbeated checkpoint: " + done.prettify());
                assertNotNull(done.getString("stages[0].outputs.corpus"), done.prettify());
            }
        } finally {
            removeHosts();
        }
    }

    /** Host 1's side: a bridge holding its address, which the hosts' veth ends join. */
    private static void addBridge() throws IOException, InterruptedException {
        run("ip", "link", "add", BRIDGE, "type", "bridge");
        run("ip", "addr", "add", HOST_1 + "/24", "dev", BRIDGE);
        run("ip", "link", "set", BRIDGE, "up");
    }

    /** Host {@code n}: namespace {@code netns} with address 10.231.0.n on a veth pair whose other end is on the bridge. */
    private static void addHost(String netns, int n) throws IOException, InterruptedException {
        String hostEnd = "lmforge-v" + n;
        run("ip", "netns", "add", netns);
        run("ip", "link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", netns);
        run("ip", "link", "set", hostEnd, "master", BRIDGE, "up");
        run("ip", "netns", "exec", netns, "ip", "addr", "add", "10.231.0." + n + "/24", "dev", "eth0");
        run("ip", "netns", "exec", netns, "ip", "link", "set", "eth0", "up");
        run("ip", "netns", "exec", netns, "ip", "link", "set", "lo", "up");
    }

    /**
     * Removes the hosts and the bridge, and first any process still inside a namespace of ours (only a worker this
     * test started, in this run or a failed earlier one), since deleting a namespace does not end its processes.
     */
    private static void removeHosts() throws IOException, InterruptedException {
        for (String netns : List.of("lmforge-h2", "lmforge-h3")) {
            if (succeeds("ip", "netns", "pids", netns)) {
                for (String pid : run("ip", "netns", "pids", netns).strip().split("\\s+")) {
                    if (!pid.isEmpty()) {
                        ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
                    }
                }
                succeeds("ip", "netns", "del", netns);
            }
        }
        // A deleted namespace takes its veth pairs with it, but asynchronously: a link seen a moment ago may be gone
        // by the time it is deleted, which is only an error when it is still there.
        for (String link : List.of("lmforge-v2", "lmforge-v3", BRIDGE)) {
            if (succeeds("ip", "link", "show", link) && !succeeds("ip", "link", "del", link)
                    && succeeds("ip", "link", "show", link)) {
                run("ip", "link", "del", link);
            }
        }
    }

    private static boolean succeeds(String... command) throws IOException, InterruptedException {
        return exec(command).exitCode() == 0;
    }

    /** Runs a command to its end and returns its output; a failure is an error naming the command and its output. */
    private static String run(String... command) throws IOException, InterruptedException {
        Result r = exec(command);
        if (r.exitCode() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited with " + r.exitCode() + ": " + r.output());
        }
        return r.output();
    }

    private record Result(int exitCode, String output) {
    }

    private static Result exec(String... command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true).start();
        } catch (IOException notThere) {
            return new Result(127, notThere.getMessage());
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(124, output);
        }
        return new Result(p.exitValue(), output);
    }
}
