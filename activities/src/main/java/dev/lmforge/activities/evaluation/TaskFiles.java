package dev.lmforge.activities.evaluation;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How suite, task and data files are opened. The command line reads the files it is given; the evaluation stage
 * opens each one through the worker's source roots, so a suite cannot name a task or data file outside them (a
 * link, {@code ..}, {@code /proc}, another team's folder), however deep in the suite it sits.
 */
@FunctionalInterface
public interface TaskFiles {

    /** Files opened as they are named, for a user's own files on the command line and for tests. */
    TaskFiles LOCAL = Files::newInputStream;

    /** A stream over {@code file}'s bytes, not yet decompressed. */
    InputStream open(Path file) throws IOException;
}
