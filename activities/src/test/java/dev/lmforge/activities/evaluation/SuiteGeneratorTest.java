package dev.lmforge.activities.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class SuiteGeneratorTest {

    /** Tests run in the module directory; the sample corpus is at the repository root. */
    public static final Path CORPUS = Path.of("..").resolve(SuiteGenerator.SAMPLE_CORPUS);

    @TempDir
    Path dir;

    @Test
    void theSameSeedWritesTheSameBytesAndAnotherSeedOtherItems() throws IOException {
        Map<Path, Integer> first = new SuiteGenerator(CORPUS, 7, 20).write(dir.resolve("a"));
        new SuiteGenerator(CORPUS, 7, 20).write(dir.resolve("b"));
        new SuiteGenerator(CORPUS, 8, 20).write(dir.resolve("c"));
        assertEquals(List.of("suite.yaml", "arithmetic.yaml", "arithmetic.jsonl", "copy.yaml", "copy.jsonl",
                "cloze.yaml", "cloze.jsonl"), first.keySet().stream().map(p -> p.getFileName().toString()).toList());
        for (Path file : first.keySet()) {
            String name = file.getFileName().toString();
            assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(dir.resolve("b").resolve(name)), name);
            if (name.endsWith(".jsonl")) {
                assertEquals(20, first.get(file));
                assertFalse(Files.readString(file).equals(Files.readString(dir.resolve("c").resolve(name))), name);
            }
        }
    }

    @Test
    void theGeneratedSuiteLoadsAndItsItemsAreRight() throws IOException {
        new SuiteGenerator(CORPUS, 1, 50).write(dir);
        Suite suite = Suite.read(dir.resolve(SuiteGenerator.SUITE_FILE));
        assertEquals("lmforge-small", suite.name());
        Map<String, Task> tasks = suite.load().stream().collect(Collectors.toMap(Task::name, t -> t));
        assertEquals(3, tasks.size());

        for (TaskItem item : tasks.get("arithmetic").items()) {
            String[] parts = item.prompt().replace("=", "").split("(?=[+-])");
            int expected = Integer.parseInt(parts[0]) + Integer.parseInt(parts[1]);
            assertEquals(String.valueOf(expected), item.target(), item.prompt());
            assertTrue(expected >= 0);
        }
        assertTrue(tasks.get("arithmetic").context(0).matches("(\\d+[+-]\\d+=\\d+\\n){3}\\d+[+-]\\d+="),
                tasks.get("arithmetic").context(0));
        for (TaskItem item : tasks.get("copy").items()) {
            assertEquals("copy: " + item.target() + " ->", item.prompt());
            assertTrue(item.target().matches("[a-z]{3,8}"), item.target());
        }

        StringBuilder corpus = new StringBuilder();
        for (String line : Files.readAllLines(CORPUS)) {
            corpus.append(new ObjectMapper().readTree(line).path("text").asText().replaceAll("\\s+", " ")).append(' ');
        }
        Task cloze = tasks.get("cloze");
        assertEquals(List.of(Metric.ACC, Metric.ACC_NORM, Metric.ACC_UNCOND), cloze.spec().metrics());
        for (TaskItem item : cloze.items()) {
            assertEquals(4, item.choices().size());
            assertEquals(4, new HashSet<>(item.choices()).size(), "distinct choices");
            assertTrue(corpus.indexOf(item.prompt() + " " + item.target()) >= 0, "the true next word: " + item.prompt()
                    + " | " + item.target());
        }
        assertTrue(cloze.items().stream().map(TaskItem::answer).distinct().count() > 1, "the answer moves around");
    }

    @Test
    void tooFewSentencesAreReportedNotPadded() throws IOException {
        String sentence = "{\"text\": \"The package maintainer uploads every new version of the package.\", "
                + "\"lang\": \"en\"}\n";
        Path once = Files.writeString(dir.resolve("once.jsonl"), sentence);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ClozeTaskGenerator(once).items(1, 5));
        assertTrue(e.getMessage().contains("has only 0 words seen 5 times"), e.getMessage());
        Path fiveTimes = Files.writeString(dir.resolve("five.jsonl"), sentence.repeat(5));
        e = assertThrows(IllegalArgumentException.class, () -> new ClozeTaskGenerator(fiveTimes).items(1, 6));
        assertTrue(e.getMessage().contains("has only 5 English prose sentences"), e.getMessage());
        assertEquals(5, new ClozeTaskGenerator(fiveTimes).items(1, 5).size());
    }
}
