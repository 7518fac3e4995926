package dev.lmforge.activities.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code generation_config.json}: what {@code generate} does unless told otherwise, as lmforge's
 * {@code model generate} does: greedy, stopping at {@code <|eos|>}, within the context.
 */
public final class HfGenerationConfig {

    /** The file's name in a Hugging Face model folder. */
    public static final String FILE_NAME = "generation_config.json";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private HfGenerationConfig() {
    }

    /** Writes {@code folder/generation_config.json}. */
    public static void write(Path folder, HfLlamaConfig.SpecialIds ids, int contextLength) throws IOException {
        ObjectNode config = JSON.createObjectNode();
        config.put("bos_token_id", ids.bos());
        config.put("eos_token_id", ids.eos());
        config.put("pad_token_id", ids.pad());
        config.put("do_sample", false);
        config.put("max_length", contextLength);
        Files.write(folder.resolve(FILE_NAME), JSON.writeValueAsBytes(config));
    }
}
