package dev.lmforge.activities.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lmforge.activities.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code config.json} of a Hugging Face {@code LlamaForCausalLM} for an lmforge decoder: the shape, the
 * constants lmforge's graph fixes (RMSNorm epsilon, rotary base, SiLU, untied output, no biases), the special
 * token ids and the dtype of the weights. {@link #read} takes back only configs lmforge's graph computes
 * exactly, naming the first field that differs.
 */
public final class HfLlamaConfig {

    /** The file's name in a Hugging Face model folder. */
    public static final String FILE_NAME = "config.json";
    /** The longest context {@link #read} accepts: lmforge's rotary and mask tables grow with its square. */
    static final int MAX_POSITIONS = 32_768;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private HfLlamaConfig() {
    }

    /** The special token ids the config names. */
    public record SpecialIds(int bos, int eos, int pad) {
    }

    /** Writes {@code folder/config.json}. */
    public static void write(Path folder, ModelShape shape, SpecialIds ids, SafetensorsDtype dtype)
            throws IOException {
        ObjectNode config = JSON.createObjectNode();
        config.putArray("architectures").add("LlamaForCausalLM");
        config.put("model_type", "llama");
        config.put("vocab_size", shape.vocab());
        config.put("hidden_size", shape.dModel());
        config.put("intermediate_size", shape.ffnHidden());
        config.put("num_hidden_layers", shape.layers());
        config.put("num_attention_heads", shape.heads());
        config.put("num_key_value_heads", shape.kvHeads());
        config.put("head_dim", shape.headDim());
        config.put("hidden_act", "silu");
        config.put("max_position_embeddings", shape.seqLen());
        config.put("rms_norm_eps", DecoderModel.NORM_EPSILON);
        config.put("rope_theta", DecoderModel.ROPE_BASE);
        // transformers 5 reads the rotary settings from here; older readers and llama.cpp read rope_theta.
        config.putObject("rope_parameters").put("rope_type", "default").put("rope_theta", DecoderModel.ROPE_BASE);
        config.put("attention_bias", false);
        config.put("mlp_bias", false);
        config.put("tie_word_embeddings", false);
        config.put("bos_token_id", ids.bos());
        config.put("eos_token_id", ids.eos());
        config.put("pad_token_id", ids.pad());
        config.put("torch_dtype", dtype.torchName());
        config.put("use_cache", true);
        Files.write(folder.resolve(FILE_NAME), JSON.writeValueAsBytes(config));
    }

    /**
     * The shape a {@code config.json} describes.
     *
     * @throws InvalidInputException naming the field if it is not a Llama config that lmforge computes exactly
     */
    public static ModelShape read(Path folder) throws IOException {
        Path file = folder.resolve(FILE_NAME);
        if (Files.size(file) > 1 << 20) {
            throw new InvalidInputException(FILE_NAME + ": larger than 1 MiB");
        }
        JsonNode config;
        try {
            config = JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new InvalidInputException(FILE_NAME + ": not valid JSON");
        }
        if (config == null || !config.isObject()) {
            throw new InvalidInputException(FILE_NAME + ": not a JSON object");
        }
        require(config, "model_type", "llama");
        require(config, "hidden_act", "silu");
        if (config.path("tie_word_embeddings").asBoolean(true)) {
            throw new InvalidInputException(FILE_NAME + ": tie_word_embeddings must be false: lmforge's output "
                    + "projection is its own matrix");
        }
        for (String bias : new String[] {"attention_bias", "mlp_bias"}) {
            if (config.path(bias).asBoolean(false)) {
                throw new InvalidInputException(FILE_NAME + ": " + bias + " must be false");
            }
        }
        close(config, "rms_norm_eps", DecoderModel.NORM_EPSILON);
        close(config, "rope_theta", DecoderModel.ROPE_BASE);
        if (!config.path("rope_scaling").isMissingNode() && !config.path("rope_scaling").isNull()) {
            throw new InvalidInputException(FILE_NAME + ": rope_scaling must be absent: lmforge has none");
        }
        int positions = integer(config, "max_position_embeddings");
        if (positions > MAX_POSITIONS) {
            throw new InvalidInputException(FILE_NAME + ": max_position_embeddings " + positions
                    + " exceeds " + MAX_POSITIONS);
        }
        ModelShape shape;
        try {
            shape = new ModelShape(integer(config, "num_hidden_layers"), integer(config, "hidden_size"),
                    integer(config, "num_attention_heads"),
                    config.has("num_key_value_heads") ? integer(config, "num_key_value_heads")
                            : integer(config, "num_attention_heads"),
                    positions, integer(config, "vocab_size"));
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(FILE_NAME + ": " + e.getMessage());
        }
        if (config.has("head_dim") && integer(config, "head_dim") != shape.headDim()) {
            throw new InvalidInputException(FILE_NAME + ": head_dim must be hidden_size / num_attention_heads = "
                    + shape.headDim());
        }
        if (integer(config, "intermediate_size") != shape.ffnHidden()) {
            throw new InvalidInputException(FILE_NAME + ": intermediate_size must be " + shape.ffnHidden()
                    + ", the SwiGLU width lmforge gives hidden_size " + shape.dModel());
        }
        return shape;
    }

    private static void require(JsonNode config, String field, String value) {
        if (!value.equals(config.path(field).asText())) {
            throw new InvalidInputException(FILE_NAME + ": " + field + " must be \"" + value + "\"");
        }
    }

    private static void close(JsonNode config, String field, double value) {
        JsonNode node = config.get(field);
        if (node == null && field.equals("rope_theta")) {
            node = config.path("rope_parameters").get("rope_theta");
        }
        if (node == null || !node.isNumber() || Math.abs(node.asDouble() - value) > 1e-12 * Math.abs(value)) {
            throw new InvalidInputException(FILE_NAME + ": " + field + " must be " + value
                    + ", the value lmforge's decoder computes with");
        }
    }

    private static int integer(JsonNode config, String field) {
        JsonNode node = config.get(field);
        if (node == null || !node.canConvertToInt() || !node.isIntegralNumber() || node.asInt() <= 0) {
            throw new InvalidInputException(FILE_NAME + ": " + field + " must be a positive integer");
        }
        return node.asInt();
    }
}
