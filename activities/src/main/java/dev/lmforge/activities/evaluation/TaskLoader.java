package dev.lmforge.activities.evaluation;

import dev.lmforge.activities.JsonSyntax;
import dev.lmforge.activities.text.CorpusReader;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Reads a task file (YAML, or JSON when it ends in {@code .json}) and its JSONL data, strictly: every error names
 * the file and line at fault. The fields, in the spirit of lm-evaluation-harness:
 * <pre>
 * name: arithmetic                 # required, unique in a suite
 * type: generate                   # required: multiple_choice | generate
 * data: arithmetic.jsonl           # required, relative to the task file; .gz and .zst are read too
 * prompt: "{{question}}="          # required template: {{field}} takes a field of the item
 * delimiter: ""                    # between prompt and answer; default " "
 * few_shot: 3                      # solved examples before each prompt; default 0
 * few_shot_seed: 1234              # default 1234
 * few_shot_separator: "\n"         # after each example; default "\n\n"
 * metrics: [exact_match, repetition_ratio]   # required; see {@link Metric}
 * special_tokens: ["&lt;|user|&gt;"]     # optional: prompts use them, the tokenizer must have them
 * # multiple_choice only:
 * choices: choices                 # required: the field holding the list of choices (2 or more strings)
 * answer: label                    # required: the field holding the correct choice's index from 0
 * unconditional_prompt: "Answer:"  # required with acc_uncond, refused without it
 * # generate only:
 * target: "{{answer}}"             # required template of the expected answer
 * stop: ["\n"]                     # default [few_shot_separator]
 * answer_parser: number            # exact | number; default exact
 * max_new_tokens: 8                # default 32
 * </pre>
 */
public final class TaskLoader {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> FIELDS = Set.of("name", "type", "data", "prompt", "delimiter", "few_shot",
            "few_shot_seed", "few_shot_separator", "metrics", "special_tokens", "choices", "answer",
            "unconditional_prompt", "target", "stop", "answer_parser", "max_new_tokens");
    private static final List<String> MULTIPLE_CHOICE_ONLY = List.of("choices", "answer", "unconditional_prompt");
    private static final List<String> GENERATE_ONLY = List.of("target", "stop", "answer_parser", "max_new_tokens");

    private TaskLoader() {
    }

    /** Reads the task file and its data. */
    public static Task load(Path file) throws IOException {
        return load(file, TaskFiles.LOCAL);
    }

    /** Reads the task file and its data, both opened by {@code files}. */
    public static Task load(Path file, TaskFiles files) throws IOException {
        TaskSpec spec = readSpec(file, files);
        List<TaskItem> items = readItems(spec, files);
        if (items.isEmpty()) {
            throw new TaskFileException(spec.data(), 1, "no items: the data file holds no JSON lines");
        }
        if (spec.fewShot() > items.size() - 1) {
            throw new TaskFileException(file, LocatedObject.read(file, files).lineOf("few_shot"), "few_shot " + spec.fewShot()
                    + " needs at least " + (spec.fewShot() + 1) + " items, but " + spec.data() + " has " + items.size());
        }
        return new Task(spec, List.copyOf(items));
    }

    private static TaskSpec readSpec(Path file, TaskFiles files) throws IOException {
        LocatedObject task = LocatedObject.read(file, files);
        task.allowOnly(FIELDS, "a task file");
        String name = task.nonEmptyText("name");
        TaskType type = type(task);
        task.forbid(type == TaskType.GENERATE ? MULTIPLE_CHOICE_ONLY : GENERATE_ONLY,
                "does not apply to " + type.key() + " tasks");
        Path data = file.resolveSibling(task.nonEmptyText("data"));
        PromptTemplate prompt = template(task, "prompt");
        String separator = task.text("few_shot_separator", "\n\n");
        List<Metric> metrics = metrics(task, type);
        List<String> specialTokens = task.texts("special_tokens", List.of());
        int fewShot = (int) task.whole("few_shot", 0, 0);
        long seed = task.whole("few_shot_seed", 1234, Long.MIN_VALUE);
        String delimiter = task.text("delimiter", " ");
        if (type == TaskType.MULTIPLE_CHOICE) {
            String unconditional = task.has("unconditional_prompt") ? task.text("unconditional_prompt") : null;
            boolean wantsUnconditional = metrics.contains(Metric.ACC_UNCOND);
            if (wantsUnconditional && unconditional == null) {
                throw task.error(task.lineOf("metrics"), "acc_uncond needs the field 'unconditional_prompt' "
                        + "(the context for the unconditional score, e.g. \"Answer:\")");
            }
            if (!wantsUnconditional && unconditional != null) {
                throw task.error(task.lineOf("unconditional_prompt"),
                        "'unconditional_prompt' is used only by the metric acc_uncond, which 'metrics' does not list");
            }
            return new TaskSpec(file, name, type, data, prompt, delimiter, fewShot, seed, separator, metrics,
                    specialTokens, task.nonEmptyText("choices"), task.nonEmptyText("answer"), unconditional,
                    null, null, null, 0);
        }
        List<String> stop = task.texts("stop", List.of(separator));
        if (stop.contains("")) {
            throw task.error(task.lineOf("stop"), "a stop sequence must not be empty");
        }
        String parserKey = task.text("answer_parser", AnswerParser.EXACT.key());
        AnswerParser parser = AnswerParser.byKey(parserKey);
        if (parser == null) {
            throw task.error(task.lineOf("answer_parser"), "unknown answer_parser; use 'exact' or 'number'");
        }
        int maxNewTokens = (int) task.whole("max_new_tokens", 32, 1);
        return new TaskSpec(file, name, type, data, prompt, delimiter, fewShot, seed, separator, metrics,
                specialTokens, null, null, null, template(task, "target"), List.copyOf(stop), parser, maxNewTokens);
    }

    private static TaskType type(LocatedObject task) {
        String key = task.text("type");
        for (TaskType type : TaskType.values()) {
            if (type.key().equals(key)) {
                return type;
            }
        }
        throw task.error(task.lineOf("type"), "unknown type; use 'multiple_choice' or 'generate'");
    }

    private static PromptTemplate template(LocatedObject task, String field) {
        try {
            return PromptTemplate.parse(task.text(field));
        } catch (IllegalArgumentException e) {
            throw task.error(task.lineOf(field), "field '" + field + "': " + e.getMessage());
        }
    }

    private static List<Metric> metrics(LocatedObject task, TaskType type) {
        task.require("metrics");
        List<String> keys = task.texts("metrics", List.of());
        int line = task.lineOf("metrics");
        if (keys.isEmpty()) {
            throw task.error(line, "'metrics' must list at least one metric");
        }
        List<Metric> metrics = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            String key = keys.get(i);
            int index = i;
            // The key is quoted below only once it is known to be one of the metrics' own names.
            Metric metric = Metric.byKey(key).orElseThrow(() -> task.error(line, "unknown metric at 'metrics'[" + index
                    + "]; known metrics: " + Arrays.stream(Metric.values()).map(Metric::key).toList()));
            if (metric.type() != type) {
                throw task.error(line, "metric '" + key + "' applies to " + metric.type().key() + " tasks, not "
                        + type.key());
            }
            if (metrics.contains(metric)) {
                throw task.error(line, "metric '" + key + "' is listed twice");
            }
            metrics.add(metric);
        }
        return List.copyOf(metrics);
    }

    private static List<TaskItem> readItems(TaskSpec spec, TaskFiles files) throws IOException {
        Path data = spec.data();
        InputStream in;
        try {
            in = files.open(data);
        } catch (NoSuchFileException e) {
            throw new TaskFileException(spec.file(), LocatedObject.read(spec.file(), files).lineOf("data"),
                    "data file " + data + " does not exist");
        }
        List<TaskItem> items = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(CorpusReader.decompressed(in, data),
                StandardCharsets.UTF_8))) {
            int line = 0;
            for (String text = reader.readLine(); text != null; text = reader.readLine()) {
                line++;
                if (!text.isBlank()) {
                    items.add(item(spec, line, text));
                }
            }
        }
        return items;
    }

    private static TaskItem item(TaskSpec spec, int line, String text) {
        JsonNode record;
        try {
            record = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new TaskFileException(spec.data(), line, "not valid JSON" + JsonSyntax.at(e));
        }
        if (!record.isObject()) {
            throw new TaskFileException(spec.data(), line, "expected a JSON object, not " + LocatedObject.describe(record));
        }
        try {
            String prompt = spec.prompt().render(record);
            if (spec.type() == TaskType.GENERATE) {
                String target = spec.target().render(record);
                if (spec.answerParser() == AnswerParser.NUMBER) {
                    AnswerParser.targetNumber(target);
                }
                return new TaskItem(line, prompt, target, List.of(), -1);
            }
            List<String> choices = choices(record, spec.choicesField());
            int answer = answer(record, spec.answerField(), choices.size());
            return new TaskItem(line, prompt, choices.get(answer), choices, answer);
        } catch (IllegalArgumentException e) {
            throw new TaskFileException(spec.data(), line, e.getMessage());
        }
    }

    private static List<String> choices(JsonNode record, String field) {
        JsonNode node = record.get(field);
        if (node == null || !node.isArray()) {
            throw new IllegalArgumentException("the field named by 'choices' must be a list of strings, not "
                    + (node == null ? "missing" : LocatedObject.describe(node)));
        }
        if (node.isEmpty()) {
            throw new IllegalArgumentException("the field named by 'choices' is an empty list");
        }
        if (node.size() < 2) {
            throw new IllegalArgumentException("the field named by 'choices' holds one choice; there must be at least 2");
        }
        List<String> choices = new ArrayList<>();
        for (JsonNode choice : node) {
            if (!choice.isTextual()) {
                throw new IllegalArgumentException("the field named by 'choices' must hold strings, not "
                        + LocatedObject.describe(choice));
            }
            choices.add(choice.textValue());
        }
        return List.copyOf(choices);
    }

    private static int answer(JsonNode record, String field, int choices) {
        JsonNode node = record.get(field);
        if (node == null || !node.isIntegralNumber()) {
            throw new IllegalArgumentException("the field named by 'answer' must be a whole number, not "
                    + (node == null ? "missing" : LocatedObject.describe(node)));
        }
        if (!node.canConvertToInt() || node.intValue() < 0 || node.intValue() >= choices) {
            throw new IllegalArgumentException("the answer index in the field named by 'answer' is out of range: "
                    + "there are " + choices + " choices, numbered 0 to " + (choices - 1));
        }
        return node.intValue();
    }
}
