package dev.lmforge.web.runs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.lmforge.services.sources.SourceRefusedException;
import dev.lmforge.services.sources.SourceRoots;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * Checks, at submission, the files that a spec's evaluation suite names against the source roots, as the suite
 * itself is checked: a suite file's task files and each task file's data file, or a single task file's data file.
 * They are named as the evaluation stage's worker names them (a task file relative to its suite file, a data file
 * relative to its task file, both from the path as spelled), and the worker checks each again as it opens it.
 * A suite that does not exist here (the worker may be another machine), or that is not a readable suite, is left to
 * the worker, which names its errors by line; a refusal names the field and the rule, never the files' content.
 */
final class SuiteFiles {

    /** The most a suite or task file may hold: each is a short list of names and templates. */
    static final int MAX_FILE_BYTES = 1 << 20;
    /** The most task files one suite may name. */
    static final int MAX_TASKS = 1000;

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private SuiteFiles() {
    }

    /**
     * Checks the files that the suite at {@code spelled}, spec field {@code field}, names; the suite's own path
     * has passed {@link SourceRoots#checkSpelled} already.
     *
     * @throws SourceRefusedException naming {@code field} and the rule, for the first file outside the roots
     */
    static void check(String field, String spelled, SourceRoots roots) {
        if (SourceRoots.isS3(spelled)) {
            return; // the worker refuses a suite in S3 by name
        }
        Path suite = roots.parse(field, spelled);
        JsonNode top = read(field, suite, roots, "");
        if (top == null) {
            return;
        }
        JsonNode tasks = top.get("tasks");
        if (tasks == null) {
            checkData(field, suite, top, roots, "");
            return;
        }
        if (!tasks.isArray()) {
            return;
        }
        if (tasks.size() > MAX_TASKS) {
            throw new SourceRefusedException(field, "the suite names " + tasks.size() + " task files, more than "
                    + MAX_TASKS);
        }
        for (int i = 0; i < tasks.size(); i++) {
            if (!tasks.get(i).isTextual()) {
                continue;
            }
            String which = "its task file tasks[" + i + "]";
            Path task = suite.resolveSibling(roots.parse(field, tasks.get(i).asText()));
            refusedAs(field, which, () -> roots.checkSpelled(field, task.toString()));
            JsonNode taskFile = read(field, task, roots, which);
            if (taskFile != null) {
                checkData(field, task, taskFile, roots, which + "'s ");
            }
        }
    }

    /** Checks the data file that task file {@code task} names, if it names one. */
    private static void checkData(String field, Path task, JsonNode taskFile, SourceRoots roots, String whose) {
        JsonNode data = taskFile.get("data");
        if (data != null && data.isTextual()) {
            Path file = task.resolveSibling(roots.parse(field, data.asText()));
            refusedAs(field, whose.isEmpty() ? "its data file" : whose + "data file",
                    () -> roots.checkSpelled(field, file.toString()));
        }
    }

    /**
     * The fields of the suite or task file at {@code path} (inside the roots, or refused), or null where it does
     * not exist here or is no YAML object: the worker reports those.
     */
    private static JsonNode read(String field, Path path, SourceRoots roots, String which) {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        Path real = refusedAs(field, which, () -> roots.local(field, path));
        if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        byte[] bytes;
        // Not following a link swapped in after the check; read to one byte past the cap, to see it crossed.
        try (InputStream in = Files.newInputStream(real, LinkOption.NOFOLLOW_LINKS)) {
            bytes = in.readNBytes(MAX_FILE_BYTES + 1);
        } catch (IOException e) {
            throw new SourceRefusedException(field, (which.isEmpty() ? "the suite" : which) + " cannot be read");
        }
        if (bytes.length > MAX_FILE_BYTES) {
            throw new SourceRefusedException(field, (which.isEmpty() ? "the suite" : which) + " is larger than "
                    + MAX_FILE_BYTES + " bytes, more than any suite or task file");
        }
        try {
            JsonNode node = YAML.readTree(bytes);
            return node != null && node.isObject() ? node : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Runs a check, saying in its refusal which of the suite's files it was about. */
    private static <T> T refusedAs(String field, String which, Supplier<T> check) {
        try {
            return check.get();
        } catch (SourceRefusedException e) {
            throw which.isEmpty() ? e : new SourceRefusedException(field, which + ": " + e.rule());
        }
    }

    private static void refusedAs(String field, String which, Runnable check) {
        refusedAs(field, which, () -> {
            check.run();
            return null;
        });
    }
}
