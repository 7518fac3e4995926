package dev.lmforge.web.it;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import java.time.Duration;
import java.util.function.Predicate;

/** The REST calls the process tests make, against one lmforge. */
final class RunApi {

    private final String baseUrl;

    RunApi(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    RequestSpecification request() {
        return given().baseUri(baseUrl);
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
