package dev.lmforge.workflows.stage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.workflows.spec.LifecycleSpec;

/**
 * The align stage's config as the stage and its cache key see it: the spec's {@code sft} and {@code dpo}
 * sections (checked at submission) with only the fields given (null for the defaults); the compute side reads
 * them strictly again, naming any bad field.
 */
public record AlignStageConfig(JsonNode sft, JsonNode dpo) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The config of {@code spec}'s align stage. */
    public static AlignStageConfig of(LifecycleSpec spec) {
        return new AlignStageConfig(JSON.valueToTree(spec.sft()), JSON.valueToTree(spec.dpo()));
    }
}
