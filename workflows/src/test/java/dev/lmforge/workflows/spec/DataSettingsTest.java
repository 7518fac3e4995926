package dev.lmforge.workflows.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The data settings' one definition against the spec's {@code data} section and its rules' two modes. */
class DataSettingsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Jackson refuses a setting the spec record lacks; a spec field without a setting would come back null. */
    @Test
    void everySettingIsASpecFieldAndEverySpecFieldASetting() throws Exception {
        ObjectNode defaults = DataSettings.defaults();
        LifecycleSpec.DataOptions options = JSON.treeToValue(defaults, LifecycleSpec.DataOptions.class);
        ObjectNode expected = defaults.deepCopy();
        expected.putNull("maxBytesPerSecond"); // no throttle unless the spec asks for one
        assertEquals(expected, JSON.valueToTree(options));
    }

    @Test
    void theDefaultsAreInRangeAndAnAbsentSettingIsFineOnlyInASpec() {
        assertEquals(List.of(), DataSettings.problems("data.", DataSettings.defaults(), true));
        assertEquals(List.of(), DataSettings.problems("data.", JSON.createObjectNode(), false));
        List<SpecProblem> missing = DataSettings.problems("", JSON.createObjectNode(), true);
        List<String> fields = missing.stream().map(SpecProblem::field).toList();
        assertTrue(fields.containsAll(List.of("partitions", "dedup.bands", "quality.languages", "remix.domainWeights")),
                fields.toString());
        assertFalse(fields.contains("maxBytesPerSecond"), "absent, the data stage reads unthrottled");
        assertTrue(missing.stream().allMatch(p -> p.message().equals("must be set")), missing.toString());
    }

    @Test
    void aRuleAcrossSettingsWaitsUntilAllAreGiven() throws Exception {
        assertEquals(List.of(), DataSettings.problems("data.", JSON.readTree("{\"dedup\": {\"bands\": 20}}"),
                false));
        List<SpecProblem> problems = DataSettings.problems("data.",
                JSON.readTree("{\"dedup\": {\"bands\": 20, \"rows\": 8, \"permutations\": 128}}"), false);
        assertEquals(1, problems.size(), problems.toString());
        assertEquals("data.dedup.bands", problems.get(0).field());
        assertTrue(problems.get(0).message().contains("dedup.bands * dedup.rows must not exceed dedup.permutations"));
    }
}
