package dev.lmforge.workflows.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.workflows.spec.LifecycleSpec;
import dev.lmforge.workflows.stage.PlanStageConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which sweeps a kind runs, and a plan config without a sweep serialising as it did before sweeps existed. */
class SweepOptionsTest {

    private static SweepOptions ofKind(String kind) {
        return new SweepOptions(kind, null, null, null, null, null, null, null, null, null, null, null);
    }

    @Test
    void bothIsTheDefaultKind() {
        assertTrue(ofKind(null).runsHyperparameters() && ofKind(null).runsIsoFlop());
        assertTrue(ofKind("isoflop").runsIsoFlop());
        assertFalse(ofKind("isoflop").runsHyperparameters());
        assertTrue(ofKind("hyperparameters").runsHyperparameters());
        assertFalse(ofKind("hyperparameters").runsIsoFlop());
    }

    @Test
    void aPlanConfigWithoutASweepKeepsItsJsonAndSoItsCacheKey() {
        ObjectMapper json = new ObjectMapper();
        JsonNode config = json.valueToTree(new PlanStageConfig(new LifecycleSpec.Compute(1e15, null),
                new LifecycleSpec.PlanOptions(64, 300, null)));
        assertEquals("{\"seqLen\":64,\"vocab\":300}", config.get("options").toString());
        JsonNode withSweep = json.valueToTree(new LifecycleSpec.PlanOptions(64, 300,
                new SweepOptions("isoflop", List.of(1e9, 3e9, 1e10), null, null, null, null, null, null, null, null,
                        null, null)));
        assertEquals("isoflop", withSweep.at("/sweep/kind").asText());
    }
}
