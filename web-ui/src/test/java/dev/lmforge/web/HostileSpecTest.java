package dev.lmforge.web;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.web.auth.FirstAdminBootstrap;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Specs written by an operator of another team who wants what is not theirs, on the real stack: every field that
 * names a file (corpus sources, SFT and DPO data, evaluation suites) against every kind of path (a system file,
 * lmforge's credentials, the S3 server's folder, {@code ..}, a symlink planted in an allowed root, {@code /proc},
 * the artifact bucket, another bucket), sizes and rates that would hold or fill a worker, and a checkpoint digest
 * of another team. Each is refused at submission by
 * a 400 naming the field, no response carries a secret, and nothing is stored.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, restrictToAnnotatedClass = true)
class HostileSpecTest {

    static final String PASSWORD = "a long test password";

    @Inject
    UserStore users;
    @ConfigProperty(name = "lmforge.data-dir")
    String dataDir;

    @BeforeAll
    static void yamlIsText() {
        AccessControlTest.yamlIsText();
    }

    private static String spec(String extra) {
        return "name: hostile\ncorpus:\n  sources:\n    - path: " + LifecycleApiTest.CORPUS
                + "\ncompute:\n  budget: 1.0e15\n" + extra;
    }

    /** The spec with {@code field} set to {@code path}. */
    private static String probe(String field, String path) {
        String quoted = "\"" + path + "\"";
        return switch (field) {
            case "corpus.sources[0].path" -> spec("").replace(LifecycleApiTest.CORPUS, path);
            case "sft.data" -> spec("sft:\n  data: " + quoted + "\n");
            case "dpo.data" -> spec("dpo:\n  data: " + quoted + "\n");
            case "evaluation.suites[0]" -> spec("evaluation:\n  suites: [" + quoted + "]\n");
            default -> throw new IllegalArgumentException(field);
        };
    }

    @Test
    void everyPathOutsideTheRootsAndAnotherTeamsCheckpointAreRefusedByFieldAndLeakNothing() throws Exception {
        Path data = Path.of(dataDir);
        String rose = operator("rose", "red");
        String mallory = operator("mallory", "blue");
        Path sources = Files.createDirectories(data.resolve("sources"));
        Path planted = Files.createSymbolicLink(sources.resolve("planted.jsonl"), data.resolve("admin-credentials"));

        List<String> secrets = new ArrayList<>(List.of(rose, mallory, "root:x:0:0"));
        for (String file : List.of("admin-credentials", "cli-token")) {
            if (Files.exists(data.resolve(file))) {
                Files.readString(data.resolve(file)).lines().filter(l -> l.length() > 8).forEach(secrets::add);
            }
        }
        Map<String, String> paths = new LinkedHashMap<>();
        paths.put("a system file", "/etc/passwd");
        paths.put("lmforge's credentials", data.resolve("admin-credentials").toString());
        paths.put("the CLI token", data.resolve("cli-token").toString());
        paths.put("the S3 server's folder", data.resolve("s3").toString());
        paths.put("a .. out of an allowed root", LifecycleApiTest.CORPUS + "/../../web-ui/pom.xml");
        paths.put("a .. into the data folder", sources + "/../admin-credentials");
        paths.put("a symlink planted in an allowed root", planted.toString());
        paths.put("/proc", "/proc/self/environ");
        paths.put("the artifact bucket", "s3://lmforge/artifacts/");
        paths.put("another team's bucket", "s3://red-team/");

        int before = runsTotal(rose);
        int probes = 0;
        int refused = 0;
        int leaked = 0;
        for (String field : List.of("corpus.sources[0].path", "sft.data", "dpo.data", "evaluation.suites[0]")) {
            for (Map.Entry<String, String> path : paths.entrySet()) {
                probes++;
                Response response = submit(mallory, probe(field, path.getValue()));
                if (refusedNaming(response, field)) {
                    refused++;
                } else {
                    System.out.println("not refused: " + field + " = " + path.getKey() + ": " + response.asString());
                }
                leaked += leaks(response, secrets);
            }
        }

        // Sizes and rates that would hold or exhaust a worker: refused by name before anything runs.
        Map<String, String> sizes = new LinkedHashMap<>();
        sizes.put("data.maxBytesPerSecond", "data:\n  maxBytesPerSecond: 1\n");
        sizes.put("data.partitions", "data:\n  partitions: 1000000\n");
        sizes.put("data.reading.maxDocumentBytes", "data:\n  reading:\n    maxDocumentBytes: 9000000000\n");
        sizes.put("plan.seqLen", "plan:\n  seqLen: 2147483647\n");
        sizes.put("plan.vocab", "plan:\n  vocab: 2147483647\n");
        sizes.put("tokenizer.vocabSize", "tokenizer:\n  vocabSize: 2147483647\n");
        sizes.put("compute.tokens", "compute:\n  budget: 1.0e15\n  tokens: 9000000000000000000\n");
        for (Map.Entry<String, String> size : sizes.entrySet()) {
            probes++;
            String yaml = size.getKey().startsWith("compute.") ? spec("").replace("compute:\n  budget: 1.0e15\n", "")
                    + size.getValue() : spec(size.getValue());
            Response refusal = submit(mallory, yaml);
            if (refusedNaming(refusal, size.getKey())) {
                refused++;
            } else {
                System.out.println("not refused: " + size.getKey() + ": " + refusal.asString());
            }
            leaked += leaks(refusal, secrets);
        }

        // A checkpoint digest is an input too: red's plan artifact is not blue's to extend.
        String redRun = AccessControlTest.submit(rose, AccessControlTest.PLAN_SPEC);
        String digest = awaitPlan(rose, redRun);
        probes++;
        Response response = submit(mallory, spec("training:\n  extendFrom: " + digest + "\n"));
        if (refusedNaming(response, "training.extendFrom")) {
            refused++;
        }
        leaked += leaks(response, secrets);

        System.out.printf("hostile specs: %d probes, %d refused at submission, %d leaked%n", probes, refused, leaked);
        assertEquals(probes, refused, "every probe is refused by a 400 naming its field");
        assertEquals(0, leaked, "no response carries a secret");
        assertEquals(before + 1, runsTotal(rose), "only red's own plan run was stored");
    }

    /**
     * A suite file inside an allowed root whose task or data files lie outside the roots (a system file, lmforge's
     * credentials by {@code ..}, a symlink planted beside it, {@code /proc}), and a single task file whose data is
     * the CLI token, and a suite whose files inside the roots hold more than the control plane reads: each refused at
     * submission by a 400 naming {@code evaluation.suites[0]}, leaking nothing; a suite whose files all lie inside
     * passes the same check.
     */
    @Test
    void aSuitesTaskAndDataFilesOutsideTheRootsAreRefusedAtSubmission() throws Exception {
        Path data = Path.of(dataDir);
        String sam = operator("sam", "sienna");
        Path folder = Files.createDirectories(data.resolve("sources").resolve("suites"));
        Files.writeString(folder.resolve("items.jsonl"), "{\"question\": \"1+1=\", \"answer\": \"2\"}\n");
        Files.writeString(folder.resolve("inside.yaml"), "name: inside\ntype: generate\ndata: items.jsonl\n");
        Files.writeString(folder.resolve("reads-proc.yaml"), "name: proc\ntype: generate\ndata: /proc/self/environ\n");
        Files.createSymbolicLink(folder.resolve("planted.yaml"), data.resolve("admin-credentials"));
        List<String> secrets = new ArrayList<>(List.of(sam, "root:x:0:0"));
        for (String file : List.of("admin-credentials", "cli-token")) {
            if (Files.exists(data.resolve(file))) {
                Files.readString(data.resolve(file)).lines().filter(l -> l.length() > 8).forEach(secrets::add);
            }
        }
        Map<String, String> files = new LinkedHashMap<>();
        files.put("system-file.yaml", "name: s\ntasks: [inside.yaml, /etc/passwd]\n");
        files.put("dot-dot.yaml", "name: s\ntasks: [../../admin-credentials]\n");
        files.put("planted-link.yaml", "name: s\ntasks: [planted.yaml]\n");
        files.put("proc-data.yaml", "name: s\ntasks: [reads-proc.yaml]\n");
        files.put("token-task.yaml", "name: t\ntype: generate\ndata: ../../cli-token\n");
        // Files inside the roots, but more of them than the control plane reads for one submission.
        Files.writeString(folder.resolve("padded.yaml"), "name: p\ntype: generate\ndata: items.jsonl\n"
                + ("# padding\n").repeat(200));
        files.put("too-much.yaml", "name: s\ntasks: [" + String.join(", ", Collections.nCopies(600, "padded.yaml"))
                + "]\n");
        int probes = 0;
        int refused = 0;
        int leaked = 0;
        for (Map.Entry<String, String> file : files.entrySet()) {
            Path suite = Files.writeString(folder.resolve(file.getKey()), file.getValue());
            probes++;
            Response response = submit(sam, probe("evaluation.suites[0]", suite.toString()));
            if (refusedNaming(response, "evaluation.suites[0]")) {
                refused++;
            } else {
                System.out.println("not refused: " + file.getKey() + ": " + response.asString());
            }
            leaked += leaks(response, secrets);
        }
        Path inside = Files.writeString(folder.resolve("inside-suite.yaml"), "name: s\ntasks: [inside.yaml]\n");
        AccessControlTest.as(sam).contentType("application/yaml").body(probe("evaluation.suites[0]", inside.toString()))
                .post("/api/specs/validate").then().statusCode(200).body("valid", equalTo(true));
        System.out.printf("hostile suites: %d probes, %d refused at submission, %d leaked%n", probes, refused, leaked);
        assertEquals(probes, refused, "every suite naming a file outside the roots is refused by field");
        assertEquals(0, leaked, "no response carries a secret");
    }

    /** A new operator of a new team, and an API token of theirs. */
    private String operator(String name, String team) {
        users.createTeam(team);
        users.createUser(name, PASSWORD, UserStore.Role.OPERATOR, List.of(team));
        return users.createToken(name, "test").secret();
    }

    private static Response submit(String token, String yaml) {
        return AccessControlTest.as(token).contentType("application/yaml").body(yaml).post("/api/runs");
    }

    private static boolean refusedNaming(Response response, String field) {
        if (response.statusCode() != 400 || !response.contentType().startsWith("application/problem+json")) {
            return false;
        }
        List<String> fields = response.jsonPath().getList("errors.field");
        return fields != null && fields.contains(field);
    }

    private static int leaks(Response response, List<String> secrets) {
        String body = response.asString();
        return (int) secrets.stream().filter(body::contains).count();
    }

    private static int runsTotal(String token) {
        return AccessControlTest.as(token).get("/api/runs").then().statusCode(200).extract().jsonPath().getInt("total");
    }

    private static String awaitPlan(String token, String runId) throws InterruptedException {
        for (int i = 0; i < 600; i++) {
            JsonPath run = AccessControlTest.as(token).get("/api/runs/" + runId).then().statusCode(200).extract().jsonPath();
            if ("SUCCEEDED".equals(run.getString("status"))) {
                String digest = run.getString("stages[0].outputs.plan");
                assertTrue(digest != null && digest.matches("[0-9a-f]{64}"), run.prettify());
                return digest;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("run " + runId + " did not succeed");
    }

    /**
     * An admin grants team blue a folder of its own: blue's specs may read it, red's may not; only an admin sets
     * roots, a root that is never a source is refused by its index, and members read their team's roots.
     */
    @Test
    void aTeamsOwnRootIsReadableByThatTeamOnly() throws Exception {
        String gil = operator("gil", "green");
        String abe = operator("abe", "amber");
        String admin = users.createToken(FirstAdminBootstrap.ADMIN, "test").secret();
        Path folder = Files.createDirectories(Path.of("target", "green-corpus").toAbsolutePath());
        Path file = Files.writeString(folder.resolve("green.jsonl"), "{\"text\": \"green's own document\"}\n");

        AccessControlTest.as(gil).contentType("application/json").body(Map.of("roots", List.of(folder.toString())))
                .put("/api/teams/green/source-roots").then().statusCode(403).contentType("application/problem+json");
        for (String bad : List.of("relative/folder", "/proc", dataDir, "s3://lmforge", "s3://Bad_Bucket")) {
            AccessControlTest.as(admin).contentType("application/json")
                    .body(Map.of("roots", List.of(folder.toString(), bad))).put("/api/teams/green/source-roots")
                    .then().statusCode(400).contentType("application/problem+json")
                    .body("errors[0].field", equalTo("roots[1]"));
        }
        AccessControlTest.as(admin).contentType("application/json").body(Map.of("roots", List.of(folder.toString())))
                .put("/api/teams/green/source-roots").then().statusCode(200)
                .body("roots", equalTo(List.of(folder.toString())));
        AccessControlTest.as(gil).get("/api/teams/green/source-roots").then().statusCode(200)
                .body("roots", equalTo(List.of(folder.toString())));
        AccessControlTest.as(abe).get("/api/teams/green/source-roots").then().statusCode(404);

        String greens = spec("team: green\n").replace(LifecycleApiTest.CORPUS, file.toString());
        assertEquals(true, validate(gil, greens).getBoolean("valid"), validate(gil, greens).prettify());
        JsonPath ambers = validate(abe, greens.replace("team: green", "team: amber"));
        assertEquals(false, ambers.getBoolean("valid"));
        assertEquals("corpus.sources[0].path", ambers.getString("errors[0].field"));
        assertTrue(ambers.getString("errors[0].message").contains("outside the allowed source roots"), ambers.prettify());
    }

    private static JsonPath validate(String token, String yaml) {
        return AccessControlTest.as(token).contentType("application/yaml").body(yaml).post("/api/specs/validate")
                .then().statusCode(200).extract().jsonPath();
    }
}
