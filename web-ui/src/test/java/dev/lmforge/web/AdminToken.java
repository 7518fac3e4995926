package dev.lmforge.web;

import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.web.auth.FirstAdminBootstrap;
import io.restassured.RestAssured;
import io.restassured.builder.RequestSpecBuilder;

/**
 * Tests that drive the API as the first start's admin: a real API token of that user, made through the
 * {@link UserStore}, sent by every RestAssured request of the test class.
 */
public final class AdminToken {

    private AdminToken() {
    }

    /** Makes every {@code given()} of the test carry a fresh admin token; undo with {@link #forget()}. */
    public static void useFor(UserStore users, String testName) {
        String token = users.createToken(FirstAdminBootstrap.ADMIN, testName).secret();
        RestAssured.requestSpecification = new RequestSpecBuilder().addHeader("Authorization", "Bearer " + token).build();
    }

    public static void forget() {
        RestAssured.requestSpecification = null;
    }
}
