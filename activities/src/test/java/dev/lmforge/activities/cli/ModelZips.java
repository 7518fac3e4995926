package dev.lmforge.activities.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.activities.model.ComputePrecision;
import dev.lmforge.activities.model.DecoderTrainer;
import dev.lmforge.activities.model.ModelArchive;
import dev.lmforge.activities.model.ModelShape;
import dev.lmforge.activities.model.OptimizerSettings;
import dev.lmforge.activities.model.TrainingSetup;
import dev.lmforge.activities.text.BpeTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Model artifacts for the command-line tests, made as the stages make them. */
public final class ModelZips {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelZips() {
    }

    /** A small decoder trained {@code steps} steps on {@code documents}, stored as the stages store a model (a zip). */
    public static Path trainAndStore(BpeTokenizer tokenizer, List<String> documents, Path dir, int steps)
            throws IOException {
        ModelShape shape = new ModelShape(2, 64, 4, 2, 128, tokenizer.vocabularySize());
        TrainingSetup setup = new TrainingSetup(shape, OptimizerSettings.paper(), 8, 1, ComputePrecision.FLOAT32,
                3, 2, null);
        List<Integer> stream = new ArrayList<>();
        int eos = tokenizer.specialTokenId("<|eos|>");
        for (String document : documents) {
            for (int id : tokenizer.encode(document)) {
                stream.add(id);
            }
            stream.add(eos);
        }
        int width = shape.seqLen() + 1;
        Path folder = dir.resolve("model");
        try (DecoderTrainer trainer = new DecoderTrainer(setup)) {
            for (int step = 0; step < steps; step++) {
                int[] rows = new int[8 * width];
                for (int i = 0; i < rows.length; i++) {
                    rows[i] = stream.get((step * rows.length + i) % stream.size());
                }
                trainer.step(rows, null, 3e-3);
            }
            ModelArchive.writeServingForms(trainer, tokenizer, folder);
        }
        tokenizer.save(folder);
        Files.write(folder.resolve(ModelArchive.DESCRIPTION), JSON.writeValueAsBytes(Map.of("shape", shape)));
        return ModelArchive.zip(folder, dir.resolve("model.zip"));
    }

}
