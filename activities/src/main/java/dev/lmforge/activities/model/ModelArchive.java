package dev.lmforge.activities.model;

import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.text.BpeTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * A trained model as one artifact: a folder zipped with fixed entry times, so that equal models are equal
 * artifacts. It holds {@value #SAVED_MODEL}/ (a TensorFlow SavedModel with the weights and the forward pass only),
 * {@value #HF_FOLDER}/ (the same weights in the Hugging Face Llama layout, float32, see {@link HfExporter}), the
 * tokenizer, {@value #DESCRIPTION} (the shape and what the stage records) and whatever else the stage adds.
 */
public final class ModelArchive {

    /** The SavedModel's folder inside the archive. */
    public static final String SAVED_MODEL = "saved_model";
    /** The Hugging Face folder inside the archive. */
    public static final String HF_FOLDER = "hf";
    /** The description's file name. */
    public static final String DESCRIPTION = "model.json";
    /** The most bytes {@link #unzip} writes: the archive may come from anyone. */
    static final long MAX_UNZIPPED_BYTES = 256L << 30;

    private ModelArchive() {
    }

    /**
     * Writes what serves the trainer's current weights into {@code folder}: {@value #SAVED_MODEL}/ and
     * {@value #HF_FOLDER}/ (with {@code tokenizer}). The trainer's graph holds the optimizer's moments, its step
     * and the gradient ops; a SavedModel of it would carry them all, so the weights go through a checkpoint into a
     * graph that only scores and decodes.
     */
    public static void writeServingForms(DecoderTrainer trainer, BpeTokenizer tokenizer, Path folder)
            throws IOException {
        Files.createDirectories(folder);
        Path weights = Files.createTempDirectory(folder.toAbsolutePath().getParent(), "weights");
        try {
            trainer.save(weights);
            try (DecoderLanguageModel model = new DecoderLanguageModel(trainer.setup(), weights)) {
                model.exportSavedModel(folder.resolve(SAVED_MODEL));
                HfExporter.export(model, tokenizer, SafetensorsDtype.F32, folder.resolve(HF_FOLDER));
            }
        } finally {
            delete(weights);
        }
    }

    /** Zips every file under {@code folder} into {@code zip}, by relative path in sorted order. */
    public static Path zip(Path folder, Path zip) throws IOException {
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip));
             Stream<Path> files = Files.walk(folder)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(TrainingCheckpoint.entry(folder.relativize(file).toString()));
                Files.copy(file, out);
                out.closeEntry();
            }
        }
        return zip;
    }

    /**
     * Unzips a model archive into {@code folder} (empty or new). Entries must be relative paths without
     * {@code ..}, and together at most {@value #MAX_UNZIPPED_BYTES} bytes.
     */
    public static Path unzip(InputStream zip, Path folder) throws IOException {
        Files.createDirectories(folder);
        Path root = folder.toAbsolutePath().normalize();
        long total = 0;
        try (ZipInputStream in = new ZipInputStream(zip)) {
            for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
                String name = entry.getName();
                Path target = root.resolve(name).normalize();
                if (name.startsWith("/") || name.contains("\\") || !target.startsWith(root) || target.equals(root)) {
                    throw new InvalidInputException("model archive entry " + entry.getName()
                            + " is not a relative path inside the archive");
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(target);
                    continue;
                }
                Files.createDirectories(target.getParent());
                try (OutputStream out = Files.newOutputStream(target)) {
                    byte[] buffer = new byte[1 << 16];
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        total += n;
                        if (total > MAX_UNZIPPED_BYTES) {
                            throw new InvalidInputException("model archive unpacks to more than "
                                    + MAX_UNZIPPED_BYTES + " bytes");
                        }
                        out.write(buffer, 0, n);
                    }
                }
            }
        }
        return folder;
    }

    /** Deletes {@code path} and everything under it. */
    public static void delete(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> all = Files.walk(path)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
