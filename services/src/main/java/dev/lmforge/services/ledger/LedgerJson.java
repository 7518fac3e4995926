package dev.lmforge.services.ledger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;

/** The JSON that the ledger keeps in its jsonb columns: stage configs and summaries, metadata, audit details. */
public final class LedgerJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private LedgerJson() {
    }

    /** Serialises a name → digest map or a summary for a jsonb column. */
    public static String toJson(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not serialisable as JSON: " + e.getMessage(), e);
        }
    }

    /** Reads a jsonb column holding an object of numbers. */
    public static Map<String, Double> summaryOf(String json) {
        try {
            return json == null ? Map.of() : JSON.readValue(json, new TypeReference<Map<String, Double>>() { });
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stage summary is not a map of numbers: " + json, e);
        }
    }
}
