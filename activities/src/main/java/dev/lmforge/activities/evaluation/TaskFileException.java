package dev.lmforge.activities.evaluation;

import dev.lmforge.activities.InvalidInputException;
import java.nio.file.Path;

/** A task, suite or task data file that cannot be used; the message starts with {@code file:line:}. */
public final class TaskFileException extends InvalidInputException {

    private final Path file;
    private final int line;

    public TaskFileException(Path file, int line, String message) {
        super(file + ":" + line + ": " + message);
        this.file = file;
        this.line = line;
    }

    /** The file at fault. */
    public Path file() {
        return file;
    }

    /** The 1-based line at fault. */
    public int line() {
        return line;
    }
}
