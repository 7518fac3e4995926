package dev.lmforge.workflows.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Cache keys change exactly when a stage's result could. */
class CacheKeyTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void keyOrderInConfigAndInputsDoesNotMatterButEveryValueDoes() throws Exception {
        var a = JSON.readTree("{\"x\": 1, \"nested\": {\"b\": 2, \"a\": [1, 2]}}");
        var b = JSON.readTree("{\"nested\": {\"a\": [1, 2], \"b\": 2}, \"x\": 1}");
        Map<String, ArtifactRef> in1 = new LinkedHashMap<>();
        in1.put("raw-0", new ArtifactRef("aa", "raw-dump", 1));
        in1.put("raw-1", new ArtifactRef("bb", "raw-dump", 1));
        Map<String, ArtifactRef> in2 = new LinkedHashMap<>();
        in2.put("raw-1", new ArtifactRef("bb", "raw-dump", 1));
        in2.put("raw-0", new ArtifactRef("aa", "raw-dump", 1));
        String key = CacheKey.of(Stage.DATA, a, in1);
        assertEquals(key, CacheKey.of(Stage.DATA, b, in2));

        assertNotEquals(key, CacheKey.of(Stage.PLAN, a, in1));
        assertNotEquals(key, CacheKey.of(Stage.DATA, JSON.readTree("{\"x\": 2, \"nested\": {\"b\": 2, \"a\": [1, 2]}}"), in1));
        assertNotEquals(key, CacheKey.of(Stage.DATA, JSON.readTree("{\"x\": 1, \"nested\": {\"b\": 2, \"a\": [2, 1]}}"), in1));
        assertNotEquals(key, CacheKey.of(Stage.DATA, a, Map.of("raw-0", new ArtifactRef("aa", "raw-dump", 1))));
        assertNotEquals(key, CacheKey.of(Stage.DATA, a, Map.of("raw-0", new ArtifactRef("bb", "raw-dump", 1),
                "raw-1", new ArtifactRef("aa", "raw-dump", 1))));
    }
}
