package dev.lmforge.web.it;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * The REST calls the process tests make, against one lmforge, as its CLI does: with the API token that the
 * local stack keeps in {@code DATA_DIR/cli-token} (read on each call, as a restarted lmforge may have written it).
 */
final class RunApi {

    private final LmforgeProcesses lmforge;

    RunApi(LmforgeProcesses lmforge) {
        this.lmforge = lmforge;
    }

    RequestSpecification request() {
        try {
            String token = Files.readString(lmforge.dataDir.resolve("cli-token")).strip();
            return given().baseUri(lmforge.baseUrl()).header("Authorization", "Bearer " + token);
        } catch (IOException e) {
            throw new UncheckedIOException("lmforge wrote no CLI token in " + lmforge.dataDir, e);
        }
    }

    String submit(String yaml) {
        return request().contentType(ContentType.TEXT).body(yaml).post("/api/runs").then().statusCode(201).extract().path("id");
    }

    JsonPath run(String id) {
        return request().get("/api/runs/" + id).then().statusCode(200).extract().jsonPath();
    }

    JsonPath await(String id, Predicate<JsonPath> condition, String what, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonPath run = run(id);
        while (!condition.test(run)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("run " + id + " never reached " + what + "; last: " + run.prettify());
            }
            Thread.sleep(250);
            run = run(id);
        }
        return run;
    }
}
