package dev.lmforge.activities.model;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.text.BpeTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens a trained model from disk in any form lmforge writes: a model artifact (a {@link ModelArchive} zip), such
 * an archive unzipped, or a Hugging Face folder ({@link HfExporter}), each with its tokenizer.
 */
public final class StoredModel {

    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private StoredModel() {
    }

    /**
     * The model at {@code path}, computing in float32 on {@code threads} threads. An archive is unzipped into a
     * temporary folder, deleted when the model is closed.
     *
     * @throws InvalidInputException if {@code path} is none of the forms, naming what is missing
     */
    public static Opened open(Path path, int threads) throws IOException {
        if (!Files.exists(path)) {
            throw new InvalidInputException(path + " does not exist");
        }
        if (!Files.isRegularFile(path)) {
            return open(path, null, threads);
        }
        Path scratch = Files.createTempDirectory("lmforge-model");
        try {
            try (InputStream in = Files.newInputStream(path)) {
                ModelArchive.unzip(in, scratch);
            }
            return open(scratch, scratch, threads);
        } catch (IOException | RuntimeException e) {
            ModelArchive.delete(scratch);
            throw e;
        }
    }

    private static Opened open(Path path, Path scratch, int threads) throws IOException {
        Path folder = path;
        DecoderLanguageModel model;
        if (Files.isRegularFile(folder.resolve(HfLlamaConfig.FILE_NAME))) {
            model = HfExporter.load(folder, threads);
        } else if (Files.isRegularFile(folder.resolve(ModelArchive.DESCRIPTION))) {
            JsonNode description = JSON.readTree(folder.resolve(ModelArchive.DESCRIPTION).toFile());
            ModelShape shape;
            try {
                shape = JSON.treeToValue(description.path("shape"), ModelShape.class);
            } catch (IOException | IllegalArgumentException e) {
                throw new InvalidInputException(ModelArchive.DESCRIPTION + ": shape: " + e.getMessage());
            }
            if (shape == null || shape.seqLen() > HfLlamaConfig.MAX_POSITIONS) {
                throw new InvalidInputException(ModelArchive.DESCRIPTION + ": needs a shape of at most "
                        + HfLlamaConfig.MAX_POSITIONS + " positions");
            }
            TrainingSetup setup = new TrainingSetup(shape, OptimizerSettings.paper(), 1, 1,
                    ComputePrecision.FLOAT32, 0, threads, null);
            model = new DecoderLanguageModel(setup, folder.resolve(ModelArchive.SAVED_MODEL).resolve("variables"));
        } else {
            throw new InvalidInputException(path + " is neither a model archive nor a model folder: it has no "
                    + ModelArchive.DESCRIPTION + " and no " + HfLlamaConfig.FILE_NAME);
        }
        try {
            BpeTokenizer tokenizer = BpeTokenizer.load(folder.resolve(BpeTokenizer.FILE_NAME));
            return new Opened(model, ModelWithTokenizer.of(model, tokenizer), scratch);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /**
     * An opened model: the decoder (to export it) and the same decoder with its tokenizer; {@code scratch} is the
     * folder an archive was unzipped into, or null.
     */
    public record Opened(DecoderLanguageModel decoder, ModelWithTokenizer model, Path scratch)
            implements AutoCloseable {
        @Override
        public void close() {
            decoder.close();
            if (scratch != null) {
                try {
                    ModelArchive.delete(scratch);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot delete " + scratch, e);
                }
            }
        }
    }
}
