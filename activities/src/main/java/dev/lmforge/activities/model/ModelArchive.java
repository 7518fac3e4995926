package dev.lmforge.activities.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import java.util.zip.ZipOutputStream;

/**
 * A trained model as one artifact: a folder (the SavedModel, the tokenizer, a description and whatever else the
 * stage adds) zipped with fixed entry times, so that equal models are equal artifacts.
 */
public final class ModelArchive {

    private ModelArchive() {
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
}
