package dev.lmforge.activities.text;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.services.artifacts.ArtifactStore;
import java.io.IOException;
import java.util.List;

/**
 * The data stage's output: a corpus as JSONL parts ({@code id, text, dump, domain, lang} per line), each its own
 * artifact, with counts. Later stages read the corpus through it.
 *
 * @param format      {@value #FORMAT}
 * @param documents   documents in all parts
 * @param textBytes   UTF-8 bytes of their text
 * @param errors      input records that could not be read
 * @param firstErrors the first of those, with file and line
 * @param parts       the parts, in order
 */
public record CorpusManifest(String format, long documents, long textBytes, long errors, List<String> firstErrors,
                             List<Part> parts) {

    public static final String FORMAT = "lmforge-corpus/1";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One part: which stage input it came from, its dump, its artifact and counts. */
    public record Part(String input, String dump, String digest, long sizeBytes, long documents, long textBytes,
                       long errors) {
    }

    /** How many read errors a manifest lists verbatim. */
    public static final int LISTED_ERRORS = 20;

    /** The manifest of {@code parts}, with the errors of reading the input they came from. */
    public static CorpusManifest of(List<Part> parts, ReadStats read) {
        return new CorpusManifest(FORMAT, parts.stream().mapToLong(Part::documents).sum(),
                parts.stream().mapToLong(Part::textBytes).sum(), read.errorCount(),
                read.errors().stream().limit(LISTED_ERRORS).map(ReadError::toString).toList(), parts);
    }

    /** Reads a corpus manifest artifact (verified) from the store. */
    public static CorpusManifest read(ArtifactStore store, String digest) throws IOException {
        CorpusManifest manifest = JSON.readValue(store.readAllBytes(digest), CorpusManifest.class);
        if (!FORMAT.equals(manifest.format())) {
            throw new IOException("artifact sha256:" + digest + " is not a corpus manifest (format "
                    + manifest.format() + ", expected " + FORMAT + ")");
        }
        return manifest;
    }
}
