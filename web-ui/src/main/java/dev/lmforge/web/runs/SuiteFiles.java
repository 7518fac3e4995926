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

    /**
     * The most that a suite and its task files may hold together, read here at each submission: each is a short
     * list of names and templates.
     */
    static final int MAX_BYTES = 1 << 20;
    /** The most task files one suite may name. */
    static final int MAX_TASKS = 1000;

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private final String field;
    private final SourceRoots roots;
    private int bytesLeft = MAX_BYTES;

    private SuiteFiles(String field, SourceRoots roots) {
        this.field = field;
        this.roots = roots;
    }

    /**
     * Checks the files that the suite at {@code spelled}, spec field {@code field}, names; the suite's own path
     * has passed {@link SourceRoots#checkSpelled} already.
     *
     * @throws SourceRefusedException naming {@code field} and the rule, for the first file outside the roots
     */
    static void check(String field, String spelled, SourceRoots roots) {
        if (!SourceRoots.isS3(spelled)) { // the worker refuses a suite in S3 by name
            new SuiteFiles(field, roots).check(roots.parse(field, spelled));
        }
    }

    private void check(Path suite) {
        JsonNode top = read(suite, "");
        if (top == null) {
            return;
        }
        JsonNode tasks = top.get("tasks");
        if (tasks == null) {
            checkData(suite, top, "");
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
            String name = tasks.get(i).asText();
            Path task = refusedAs(which, () -> suite.resolveSibling(roots.parse(field, name)));
            refusedAs(which, () -> roots.checkSpelled(field, task.toString()));
            JsonNode taskFile = read(task, which);
            if (taskFile != null) {
                checkData(task, taskFile, which + "'s ");
            }
        }
    }

    /** Checks the data file that task file {@code task} names, if it names one. */
    private void checkData(Path task, JsonNode taskFile, String whose) {
        JsonNode data = taskFile.get("data");
        if (data != null && data.isTextual()) {
            String which = whose.isEmpty() ? "its data file" : whose + "data file";
            Path file = refusedAs(which, () -> task.resolveSibling(roots.parse(field, data.asText())));
            refusedAs(which, () -> roots.checkSpelled(field, file.toString()));
        }
    }

    /**
     * The fields of the suite or task file at {@code path} (inside the roots, or refused), or null where it does
     * not exist here or is no YAML object: the worker reports those.
     */
    private JsonNode read(Path path, String which) {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        Path real = refusedAs(which, () -> roots.local(field, path));
        if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        byte[] bytes;
        // Not following a link swapped in after the check; read to one byte past the cap, to see it crossed.
        try (InputStream in = Files.newInputStream(real, LinkOption.NOFOLLOW_LINKS)) {
            bytes = in.readNBytes(bytesLeft + 1);
        } catch (IOException e) {
            throw new SourceRefusedException(field, (which.isEmpty() ? "the suite" : which) + " cannot be read");
        }
        if (bytes.length > bytesLeft) {
            throw new SourceRefusedException(field, "the suite and its task files hold more than " + MAX_BYTES
                    + " bytes, more than any suite needs");
        }
        bytesLeft -= bytes.length;
        try {
            JsonNode node = YAML.readTree(bytes);
            return node != null && node.isObject() ? node : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Runs a check, saying in its refusal which of the suite's files it was about. */
    private <T> T refusedAs(String which, Supplier<T> check) {
        try {
            return check.get();
        } catch (SourceRefusedException e) {
            throw which.isEmpty() ? e : new SourceRefusedException(field, which + ": " + e.rule());
        }
    }

    private void refusedAs(String which, Runnable check) {
        refusedAs(which, () -> {
            check.run();
            return null;
        });
    }
}
