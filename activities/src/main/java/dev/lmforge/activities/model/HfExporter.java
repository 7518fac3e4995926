package dev.lmforge.activities.model;

import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.text.BpeTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.tensorflow.ndarray.Shape;

/**
 * Writes a trained decoder in the Hugging Face Llama layout, a folder that {@code transformers}'
 * {@code AutoModelForCausalLM} and {@code AutoTokenizer} load as it is: {@code config.json}
 * ({@link HfLlamaConfig}), {@code model.safetensors} (the weights rearranged by {@link HfLlamaLayout}, in float32
 * or bfloat16), {@code tokenizer.json}, {@code tokenizer_config.json} with the chat template
 * ({@link HfTokenizerConfig}) and {@code generation_config.json}.
 */
public final class HfExporter {

    /** The weights' file name in a Hugging Face model folder. */
    public static final String WEIGHTS_FILE = "model.safetensors";

    private HfExporter() {
    }

    /** Writes the folder {@code out} (created if missing) for {@code model} and its {@code tokenizer}. */
    public static void export(DecoderLanguageModel model, BpeTokenizer tokenizer, SafetensorsDtype dtype, Path out)
            throws IOException {
        ModelShape shape = model.shape();
        if (tokenizer.vocabularySize() != shape.vocab()) {
            throw new IllegalArgumentException("the tokenizer has " + tokenizer.vocabularySize()
                    + " ids but the model " + shape.vocab());
        }
        Files.createDirectories(out);
        List<HfLlamaLayout.Slice> slices = HfLlamaLayout.slices(shape);
        Map<String, Shape> variables = model.variables();
        try (SafetensorsWriter writer = new SafetensorsWriter(out.resolve(WEIGHTS_FILE), dtype)) {
            for (HfLlamaLayout.Slice slice : slices) {
                Shape variable = variables.get(slice.variable());
                if (variable == null || variable.size() != slice.rows() * slice.variableColumns()) {
                    throw new IllegalStateException("the model's variable " + slice.variable() + " is " + variable
                            + ", not the layout's " + slice.rows() + " x " + slice.variableColumns());
                }
                writer.declare(slice.hfName(), slice.hfShape());
            }
            // Slices of one variable are adjacent: fetch each variable once.
            String fetched = null;
            float[] values = null;
            for (HfLlamaLayout.Slice slice : slices) {
                if (!slice.variable().equals(fetched)) {
                    fetched = slice.variable();
                    values = model.weights(fetched);
                }
                writer.write(slice.hfName(), slice.cut(values));
            }
        }
        HfLlamaConfig.SpecialIds ids = specialIds(tokenizer);
        HfLlamaConfig.write(out, shape, ids, dtype);
        tokenizer.save(out);
        HfTokenizerConfig.write(out, shape.seqLen());
        HfGenerationConfig.write(out, ids, shape.seqLen());
    }

    /**
     * The model of an exported folder (float32 or bfloat16 weights, widened to float32), computing in float32 on
     * {@code threads} threads.
     */
    public static DecoderLanguageModel load(Path folder, int threads) throws IOException {
        ModelShape shape = HfLlamaConfig.read(folder);
        TrainingSetup setup = new TrainingSetup(shape, OptimizerSettings.paper(), 1, 1, ComputePrecision.FLOAT32,
                0, threads, null);
        List<HfLlamaLayout.Slice> slices = HfLlamaLayout.slices(shape);
        try (SafetensorsReader reader = new SafetensorsReader(folder.resolve(WEIGHTS_FILE))) {
            for (HfLlamaLayout.Slice slice : slices) {
                SafetensorsReader.Tensor tensor = reader.tensors().get(slice.hfName());
                if (tensor == null || !Arrays.equals(tensor.shape(), slice.hfShape())) {
                    throw new InvalidInputException(WEIGHTS_FILE + ": tensor "
                            + slice.hfName() + " must have shape " + Arrays.toString(slice.hfShape())
                            + (tensor == null ? ", but is missing" : ", not " + Arrays.toString(tensor.shape())));
                }
            }
            return DecoderLanguageModel.ofWeights(setup, (variable, variableShape) -> {
                float[] values = new float[Math.toIntExact(variableShape.size())];
                for (HfLlamaLayout.Slice slice : slices) {
                    if (slice.variable().equals(variable)) {
                        slice.paste(reader.read(slice.hfName()), values);
                    }
                }
                return values;
            });
        }
    }

    private static HfLlamaConfig.SpecialIds specialIds(BpeTokenizer tokenizer) {
        for (String token : List.of(ModelWithTokenizer.DOCUMENT_START, ModelWithTokenizer.DOCUMENT_END,
                HfTokenizerConfig.PADDING)) {
            if (!tokenizer.specialTokens().containsKey(token)) {
                throw new IllegalArgumentException("the tokenizer lacks " + token + "; it has "
                        + tokenizer.specialTokens().keySet());
            }
        }
        return new HfLlamaConfig.SpecialIds(tokenizer.specialTokenId(ModelWithTokenizer.DOCUMENT_START),
                tokenizer.specialTokenId(ModelWithTokenizer.DOCUMENT_END),
                tokenizer.specialTokenId(HfTokenizerConfig.PADDING));
    }
}
