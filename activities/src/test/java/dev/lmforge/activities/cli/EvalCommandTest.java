package dev.lmforge.activities.cli;

import dev.lmforge.activities.evaluation.SuiteGeneratorTest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalCommandTest {

    @TempDir
    Path dir;

    private record Outcome(int code, String out, String err) {
    }

    private static Outcome eval(String... words) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new EvalCommand().run(Args.parse(List.of(words)), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void generatesASuiteThatValidates() throws Exception {
        Outcome generated = eval("generate-suite", "--out", dir.toString(), "--corpus",
                SuiteGeneratorTest.CORPUS.toString(), "--items", "15");
        assertEquals(0, generated.code(), generated.err());
        assertTrue(generated.out().contains("cloze.jsonl  15 items"), generated.out());

        Outcome suite = eval("validate", dir.resolve("suite.yaml").toString());
        assertEquals(0, suite.code(), suite.err());
        assertEquals(3, suite.out().lines().count(), suite.out());
        assertTrue(suite.out().contains(": cloze (multiple_choice, 15 items; acc, acc_norm, acc_uncond)"), suite.out());
        Outcome task = eval("validate", dir.resolve("arithmetic.yaml").toString());
        assertTrue(task.out().contains("arithmetic (generate, 15 items; exact_match, repetition_ratio)"), task.out());
    }

    @Test
    void validateNamesTheFileAndLineOfEachBadFile() throws Exception {
        eval("generate-suite", "--out", dir.toString(), "--corpus", SuiteGeneratorTest.CORPUS.toString(), "--items", "5");
        Path data = dir.resolve("cloze.jsonl");
        List<String> lines = Files.readAllLines(data);
        lines.set(3, lines.get(3).replaceFirst("\"answer\":\\d", "\"answer\":7"));
        Files.write(data, lines);
        Path broken = Files.writeString(dir.resolve("broken.yaml"), "name: x\ntype: generate\nprompt: \"{{q}}\"\n");

        Outcome outcome = eval("validate", dir.resolve("suite.yaml").toString(), broken.toString(),
                dir.resolve("copy.yaml").toString());
        assertEquals(1, outcome.code());
        // The line and the rule, never the file's value.
        assertTrue(outcome.err().contains(data + ":4: the answer index in the field named by 'answer' is out of range"),
                outcome.err());
        assertFalse(outcome.err().contains("index 7"), outcome.err());
        assertTrue(outcome.err().contains(broken + ":1: missing field 'data'"), outcome.err());
        assertTrue(outcome.out().contains("copy (generate"), "the good file is still checked: " + outcome.out());
    }

    @Test
    void badUsageIsAUsageError() {
        assertThrows(Args.UsageException.class, () -> eval("validate"));
        assertThrows(Args.UsageException.class, () -> eval("run"));
        assertThrows(Args.UsageException.class, () -> eval("generate-suite"));
        assertThrows(Args.UsageException.class, () -> eval("generate-suite", "--out", dir.toString(), "--items", "1"));
        assertThrows(Args.UsageException.class, () -> eval("generate-suite", "--out", dir.toString(), "--corpus",
                dir.resolve("none.jsonl").toString()));
    }
}
