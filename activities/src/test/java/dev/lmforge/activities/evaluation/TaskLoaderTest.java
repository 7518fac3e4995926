package dev.lmforge.activities.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskLoaderTest {

    @TempDir
    Path dir;

    private static final String CHOICE_TASK = """
            name: colours
            type: multiple_choice
            data: colours.jsonl
            prompt: "Q: {{question}}\\nA:"
            choices: options
            answer: label
            few_shot: 2
            metrics: [acc, acc_norm]
            """;

    private static final String CHOICE_DATA = """
            {"question": "sky?", "options": ["blue", "green"], "label": 0}
            {"question": "grass?", "options": ["blue", "green"], "label": 1}

            {"question": "snow?", "options": ["white", "black", "red"], "label": 0}
            """;

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private TaskFileException failure(String task, String data) throws IOException {
        Path file = write("task.yaml", task);
        write("colours.jsonl", data);
        return assertThrows(TaskFileException.class, () -> TaskLoader.load(file));
    }

    private static void assertAt(TaskFileException e, String file, int line, String words) {
        assertEquals(file, e.file().getFileName().toString(), e.getMessage());
        assertEquals(line, e.line(), e.getMessage());
        assertTrue(e.getMessage().startsWith(e.file() + ":" + line + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(words), e.getMessage());
    }

    @Test
    void readsAMultipleChoiceTaskAndItsData() throws IOException {
        Path file = write("task.yaml", CHOICE_TASK);
        write("colours.jsonl", CHOICE_DATA);
        Task task = TaskLoader.load(file);
        assertEquals("colours", task.name());
        assertEquals(TaskType.MULTIPLE_CHOICE, task.spec().type());
        assertEquals(List.of(Metric.ACC, Metric.ACC_NORM), task.spec().metrics());
        assertEquals(3, task.items().size());
        TaskItem snow = task.items().get(2);
        assertEquals(4, snow.line(), "blank lines count");
        assertEquals("Q: snow?\nA:", snow.prompt());
        assertEquals(List.of("white", "black", "red"), snow.choices());
        assertEquals("white", snow.target());
        // Two solved examples, the other items, then the prompt; the same every time.
        assertEquals("Q: sky?\nA: blue\n\nQ: grass?\nA: green\n\nQ: snow?\nA:".length(), task.context(2).length());
        assertTrue(task.context(2).endsWith("\n\nQ: snow?\nA:"), task.context(2));
        assertTrue(task.context(2).contains("Q: sky?\nA: blue\n\n") && task.context(2).contains("Q: grass?\nA: green"));
        assertEquals(task.context(0), TaskLoader.load(file).context(0));
    }

    @Test
    void fewShotExamplesFollowTheSeedAndNeverIncludeTheItemItself() throws IOException {
        StringBuilder data = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            data.append("{\"q\": \"q").append(i).append("\", \"a\": \"").append(i).append("\"}\n");
        }
        write("n.jsonl", data.toString());
        String spec = "name: n\ntype: generate\ndata: n.jsonl\nprompt: \"<{{q}}>\"\ntarget: \"{{a}}\"\n"
                + "metrics: [exact_match]\nfew_shot: 3\nfew_shot_seed: ";
        Task one = TaskLoader.load(write("one.yaml", spec + "1\n"));
        Task two = TaskLoader.load(write("two.yaml", spec + "2\n"));
        boolean differ = false;
        for (int i = 0; i < 30; i++) {
            String context = one.context(i);
            assertEquals(1, context.split("<q" + i + ">", -1).length - 1, "item " + i + " appears once: " + context);
            assertEquals(4, context.split("<q", -1).length - 1);
            differ |= !context.equals(two.context(i));
        }
        assertTrue(differ, "another seed picks other examples");
        assertEquals(List.of("\n\n"), one.spec().stop(), "stop defaults to the few-shot separator");
        assertEquals(AnswerParser.EXACT, one.spec().answerParser());
        assertEquals(32, one.spec().maxNewTokens());
    }

    @Test
    void readsJsonTaskFilesToo() throws IOException {
        write("colours.jsonl", CHOICE_DATA);
        Path file = write("task.json", """
                {"name": "colours", "type": "multiple_choice", "data": "colours.jsonl", "prompt": "{{question}}",
                 "choices": "options", "answer": "label", "metrics": ["acc", "acc_uncond"],
                 "unconditional_prompt": "Answer:"}
                """);
        TaskSpec spec = TaskLoader.load(file).spec();
        assertEquals("Answer:", spec.unconditionalPrompt());
        TaskFileException e = assertThrows(TaskFileException.class, () -> TaskLoader.load(write("bad.json",
                "{\"name\": \"colours\",\n \"type\": \"generate\",\n \"metrics\": [\"acc\"] }")));
        assertAt(e, "bad.json", 1, "missing field 'data'");
    }

    @Test
    void missingFieldIsNamed() throws IOException {
        assertAt(failure(CHOICE_TASK.replace("choices: options\n", ""), CHOICE_DATA), "task.yaml", 1,
                "missing field 'choices'");
    }

    @Test
    void unknownFieldsAndFieldsOfTheOtherTypeAreNamedByLine() throws IOException {
        assertAt(failure(CHOICE_TASK + "temperature: 0.7\n", CHOICE_DATA), "task.yaml", 9, "unknown field name in a task file; known fields:");
        assertAt(failure(CHOICE_TASK + "stop: [\"\\n\"]\n", CHOICE_DATA), "task.yaml", 9,
                "'stop' does not apply to multiple_choice");
    }

    @Test
    void badValuesAreNamedByLine() throws IOException {
        assertAt(failure(CHOICE_TASK.replace("type: multiple_choice", "type: ranking"), CHOICE_DATA), "task.yaml", 2,
                "unknown type; use 'multiple_choice' or 'generate'");
        assertAt(failure(CHOICE_TASK.replace("[acc, acc_norm]", "[acc, bleu]"), CHOICE_DATA), "task.yaml", 8,
                "unknown metric at 'metrics'[1]; known metrics: [acc,");
        assertAt(failure(CHOICE_TASK.replace("[acc, acc_norm]", "[exact_match]"), CHOICE_DATA), "task.yaml", 8,
                "applies to generate tasks");
        assertAt(failure(CHOICE_TASK.replace("few_shot: 2", "few_shot: two"), CHOICE_DATA), "task.yaml", 7,
                "'few_shot' must be a whole number");
        assertAt(failure(CHOICE_TASK.replace("few_shot: 2", "few_shot: 3"), CHOICE_DATA), "task.yaml", 7,
                "few_shot 3 needs at least 4 items");
        assertAt(failure(CHOICE_TASK.replace("{{question}}", "{{question}"), CHOICE_DATA), "task.yaml", 4,
                "never closed");
        assertAt(failure(CHOICE_TASK.replace("[acc, acc_norm]", "[acc, acc_uncond]"), CHOICE_DATA), "task.yaml", 8,
                "acc_uncond needs the field 'unconditional_prompt'");
        assertAt(failure(CHOICE_TASK + "unconditional_prompt: \"Answer:\"\n", CHOICE_DATA), "task.yaml", 9,
                "used only by the metric acc_uncond");
        assertAt(failure(CHOICE_TASK.replace("name: colours", "name: colours\nname: again"), CHOICE_DATA),
                "task.yaml", 2, "appears twice");
        assertAt(failure(CHOICE_TASK.replace("data: colours.jsonl", "data: nowhere.jsonl"), CHOICE_DATA),
                "task.yaml", 3, "does not exist");
        assertAt(failure("name: ok\ntype: [unclosed\n", CHOICE_DATA), "task.yaml", 2, "not valid YAML");
    }

    @Test
    void badDataLinesAreNamedByFileAndLine() throws IOException {
        String[] lines = CHOICE_DATA.split("\n");
        assertAt(failure(CHOICE_TASK, lines[0] + "\n" + "{\"question\": \"x\", \"options\": [], \"label\": 0}\n"),
                "colours.jsonl", 2, "empty list");
        assertAt(failure(CHOICE_TASK, lines[0] + "\n" + lines[1] + "\n"
                + "{\"question\": \"x\", \"options\": [\"a\", \"b\"], \"label\": 2}\n"),
                "colours.jsonl", 3, "the answer index in the field named by 'answer' is out of range");
        assertAt(failure(CHOICE_TASK, "{\"question\": \"x\", \"options\": [\"a\", \"b\"], \"label\": -1}\n"),
                "colours.jsonl", 1, "out of range");
        assertAt(failure(CHOICE_TASK, "{\"options\": [\"a\", \"b\"], \"label\": 0}\n"), "colours.jsonl", 1,
                "the field of the template's placeholder 1 is missing");
        assertAt(failure(CHOICE_TASK, "{\"question\": \"x\", \"label\": 0}\n"), "colours.jsonl", 1,
                "the field named by 'choices' must be a list");
        assertAt(failure(CHOICE_TASK, "{\"question\": \"x\", \"options\": [\"a\", 2], \"label\": 0}\n"),
                "colours.jsonl", 1, "must hold strings");
        assertAt(failure(CHOICE_TASK, lines[0] + "\n{\"question\": \"x\", \n"), "colours.jsonl", 2, "not valid JSON");
        assertAt(failure(CHOICE_TASK, "[1, 2]\n"), "colours.jsonl", 1, "expected a JSON object");
        assertAt(failure(CHOICE_TASK, "\n\n"), "colours.jsonl", 1, "no items");
    }

    @Test
    void errorsNameTheFieldAndLineButNeverQuoteTheFilesValues() throws IOException {
        String secret = "sk-live-4f9a2c";
        String data = "{\"question\": \"x\", \"options\": [\"a\", \"b\"], \"label\": \"" + secret + "\"}\n";
        List<TaskFileException> errors = List.of(
                failure(CHOICE_TASK.replace("type: multiple_choice", "type: " + secret), CHOICE_DATA),
                failure(CHOICE_TASK.replace("[acc, acc_norm]", "[acc, " + secret + "]"), CHOICE_DATA),
                failure(CHOICE_TASK + secret + ": 1\n", CHOICE_DATA),
                failure(CHOICE_TASK.replace("name: colours", "name: colours\n" + secret + ": 1\n" + secret + ": 2"),
                        CHOICE_DATA),
                failure(CHOICE_TASK.replace("few_shot: 2", "few_shot: " + secret), CHOICE_DATA),
                failure(CHOICE_TASK.replace("{{question}}", "{{" + secret + "}}"), CHOICE_DATA),
                failure(CHOICE_TASK.replace("{{question}}", "{{" + secret + " x}}"), CHOICE_DATA),
                failure(CHOICE_TASK.replace("choices: options", "choices: " + secret), CHOICE_DATA),
                failure(CHOICE_TASK, data));
        for (TaskFileException e : errors) {
            assertFalse(e.getMessage().contains(secret), e.getMessage());
        }
        assertAt(errors.get(0), "task.yaml", 2, "unknown type; use 'multiple_choice' or 'generate'");
        assertAt(errors.get(8), "colours.jsonl", 1, "the field named by 'answer' must be a whole number, not a string");
        write("sums.jsonl", "{\"q\": \"1+x\", \"a\": \"" + secret + "\"}\n{\"q\": \"1\", \"a\": \"1\"}\n");
        Path parser = write("s.yaml", "name: sums\ntype: generate\ndata: sums.jsonl\nprompt: \"{{q}}=\"\n"
                + "target: \"{{a}}\"\nanswer_parser: " + secret + "\nmetrics: [exact_match]\n");
        Path target = write("t.yaml", "name: sums\ntype: generate\ndata: sums.jsonl\nprompt: \"{{q}}=\"\n"
                + "target: \"{{a}}\"\nanswer_parser: number\nmetrics: [exact_match]\n");
        for (Path file : List.of(parser, target)) {
            String message = assertThrows(TaskFileException.class, () -> TaskLoader.load(file)).getMessage();
            assertFalse(message.contains(secret), message);
        }
    }

    @Test
    void numberParserNeedsNumericTargets() throws IOException {
        write("sums.jsonl", "{\"q\": \"1+1\", \"a\": \"2\"}\n{\"q\": \"1+x\", \"a\": \"x+1\"}\n");
        Path file = write("sums.yaml", "name: sums\ntype: generate\ndata: sums.jsonl\nprompt: \"{{q}}=\"\n"
                + "target: \"{{a}}\"\nanswer_parser: number\nmetrics: [exact_match]\n");
        TaskFileException e = assertThrows(TaskFileException.class, () -> TaskLoader.load(file));
        assertAt(e, "sums.jsonl", 2, "the target is not a number");
        Path wrongParser = write("p.yaml", "name: sums\ntype: generate\ndata: sums.jsonl\nprompt: \"{{q}}=\"\n"
                + "target: \"{{a}}\"\nanswer_parser: regex\nmetrics: [exact_match]\n");
        assertAt(assertThrows(TaskFileException.class, () -> TaskLoader.load(wrongParser)), "p.yaml", 6,
                "unknown answer_parser; use 'exact' or 'number'");
    }

    @Test
    void templatesFillFieldsAndRefuseListsInPlaceholders() {
        PromptTemplate template = PromptTemplate.parse("{{a}} plus {{ b }} is");
        assertEquals(List.of("a", "b"), template.fields());
        var record = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("a", "one").put("b", 2);
        assertEquals("one plus 2 is", template.render(record));
        record.putArray("a");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> template.render(record)).getMessage()
                .contains("placeholder 1"));
        assertThrows(IllegalArgumentException.class, () -> PromptTemplate.parse("{{two words}}"));
        assertNotEquals(template.toString(), "");
    }
}
