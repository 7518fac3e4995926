package dev.lmforge.activities.evaluation;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A suite file: a name and the task files to run, relative to the suite file.
 * <pre>
 * name: lmforge-small
 * tasks: [arithmetic.yaml, copy.yaml, cloze.yaml]
 * </pre>
 *
 * @param file  the suite file
 * @param name  the suite's name
 * @param tasks the task files, in order
 */
public record Suite(Path file, String name, List<Path> tasks) {

    private static final Set<String> FIELDS = Set.of("name", "tasks");

    /** Whether {@code file} is a suite file (it has {@code tasks}) rather than a task file. */
    public static boolean isSuite(Path file) throws IOException {
        return LocatedObject.read(file, TaskFiles.LOCAL).has("tasks");
    }

    /** Reads a suite file; every task file it names must exist. */
    public static Suite read(Path file) throws IOException {
        return read(file, TaskFiles.LOCAL);
    }

    /**
     * The tasks of {@code file}, a suite file or a single task file, with their data, every file opened by
     * {@code files}.
     */
    public static List<Task> tasksOf(Path file, TaskFiles files) throws IOException {
        return LocatedObject.read(file, files).has("tasks") ? read(file, files).load(files)
                : List.of(TaskLoader.load(file, files));
    }

    private static Suite read(Path file, TaskFiles files) throws IOException {
        LocatedObject suite = LocatedObject.read(file, files);
        suite.allowOnly(FIELDS, "a suite file");
        String name = suite.nonEmptyText("name");
        suite.require("tasks");
        List<String> names = suite.texts("tasks", List.of());
        int line = suite.lineOf("tasks");
        if (names.isEmpty()) {
            throw suite.error(line, "'tasks' must list at least one task file");
        }
        List<Path> tasks = new ArrayList<>();
        for (String task : names) {
            Path path = file.resolveSibling(task);
            // Opened, not looked up: through the source roots a file outside them is refused, not found.
            try (InputStream in = files.open(path)) {
                tasks.add(path);
            } catch (NoSuchFileException e) {
                throw suite.error(line, "task file " + path + " does not exist");
            }
        }
        return new Suite(file, name, List.copyOf(tasks));
    }

    /** Loads every task with its data, refusing two tasks of one name. */
    public List<Task> load() throws IOException {
        return load(TaskFiles.LOCAL);
    }

    private List<Task> load(TaskFiles files) throws IOException {
        List<Task> loaded = new ArrayList<>();
        Map<String, Path> seen = new HashMap<>();
        for (Path path : tasks) {
            Task task = TaskLoader.load(path, files);
            Path other = seen.putIfAbsent(task.name(), path);
            if (other != null) {
                throw new TaskFileException(file, LocatedObject.read(file, files).lineOf("tasks"), "two tasks have one name: "
                        + other + " and " + path);
            }
            loaded.add(task);
        }
        return loaded;
    }
}
