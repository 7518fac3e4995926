package dev.lmforge.activities.text;

/**
 * A record or file that could not be read.
 *
 * @param file   the input file
 * @param line   the 1-based line of the record; 0 when the error concerns the whole file
 * @param reason what was wrong, e.g. {@code "malformed JSON: ..."}
 */
public record ReadError(String file, long line, String reason) {

    @Override
    public String toString() {
        return line > 0 ? file + ":" + line + ": " + reason : file + ": " + reason;
    }
}
