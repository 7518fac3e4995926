package dev.lmforge.activities.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * What a training checkpoint holds besides the variables that {@link DecoderTrainer#save} writes: the step,
 * the data position, and everything needed to continue the same run (the shape, the batch, the schedule's peak
 * and length, the seed), plus whatever else a stage needs to continue exactly ({@code stageState}: alignment's
 * phase, position and figures; none for pretraining). A checkpoint artifact is one zip file: the trainer's files
 * plus this record as {@value #STATE_FILE}.
 *
 * @param step           optimizer steps taken
 * @param dataPosition   rows of {@link TokenBatchStream} consumed
 * @param tokens         training tokens seen
 * @param shape          the model
 * @param batchSequences sequences per optimizer step
 * @param peakLearningRate the schedule's peak
 * @param totalSteps     the schedule's length
 * @param schedule       {@code multi-step} or {@code cosine}
 * @param seed           the run's seed (weights and data order)
 * @param loss           the loss of the step before it
 * @param boundary       whether it was taken where the multi-step schedule first drops (for continual training)
 * @param stageState     the stage's own state beyond the above, or null (left out of the file then, so that a
 *                       pretraining checkpoint's bytes are as they were)
 */
public record TrainingCheckpoint(long step, long dataPosition, long tokens, ModelShape shape, int batchSequences,
                                 double peakLearningRate, long totalSteps, String schedule, long seed, double loss,
                                 boolean boundary, @JsonInclude(JsonInclude.Include.NON_NULL) JsonNode stageState) {

    /** A checkpoint with no stage state of its own (pretraining's). */
    public TrainingCheckpoint(long step, long dataPosition, long tokens, ModelShape shape, int batchSequences,
                              double peakLearningRate, long totalSteps, String schedule, long seed, double loss,
                              boolean boundary) {
        this(step, dataPosition, tokens, shape, batchSequences, peakLearningRate, totalSteps, schedule, seed, loss,
                boundary, null);
    }

    /** The record's file name inside a checkpoint zip. */
    public static final String STATE_FILE = "training-state.json";

    /** 1980-01-01, the zip format's earliest time. */
    private static final long FIXED_ENTRY_TIME = 315532800000L;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Zips {@code variables} (a {@link DecoderTrainer#save} directory) and this record into {@code zip}. */
    public void pack(Path variables, Path zip) throws IOException {
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip));
             Stream<Path> files = Files.list(variables)) {
            out.setLevel(1);  // weights hardly compress; speed matters more
            out.putNextEntry(entry(STATE_FILE));
            out.write(JSON.writeValueAsBytes(this));
            out.closeEntry();
            for (Path file : files.sorted().toList()) {
                out.putNextEntry(entry(file.getFileName().toString()));
                Files.copy(file, out);
                out.closeEntry();
            }
        }
    }

    /**
     * The model these variables hold (a {@link #unpack} directory), for scoring and decoding.
     *
     * @param threads TensorFlow's intra-op threads
     */
    public LanguageModel languageModel(Path variables, int threads) {
        TrainingSetup setup = new TrainingSetup(shape, OptimizerSettings.paper(), 1, 1, ComputePrecision.FLOAT32,
                seed, threads, null);
        return new DecoderLanguageModel(setup, variables);
    }

    /** A zip entry with a fixed time, so that equal checkpoints are equal artifacts. */
    static ZipEntry entry(String name) {
        ZipEntry entry = new ZipEntry(name);
        entry.setTime(FIXED_ENTRY_TIME);
        return entry;
    }

    /** Unzips a checkpoint into {@code variables} (empty or new) and returns its record. */
    public static TrainingCheckpoint unpack(InputStream zip, Path variables) throws IOException {
        Files.createDirectories(variables);
        TrainingCheckpoint state = null;
        try (ZipInputStream in = new ZipInputStream(zip)) {
            for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
                String name = entry.getName();
                if (name.contains("/") || name.contains("\\") || name.startsWith(".")) {
                    throw new IOException("checkpoint entry '" + name + "' is not a plain file name");
                }
                if (name.equals(STATE_FILE)) {
                    state = JSON.readValue(in.readAllBytes(), TrainingCheckpoint.class);
                } else {
                    try (OutputStream out = Files.newOutputStream(variables.resolve(name))) {
                        in.transferTo(out);
                    }
                }
            }
        }
        if (state == null) {
            throw new IOException("checkpoint has no " + STATE_FILE);
        }
        return state;
    }
}
