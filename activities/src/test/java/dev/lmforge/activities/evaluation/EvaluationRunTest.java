package dev.lmforge.activities.evaluation;

import dev.lmforge.activities.model.ModelWithTokenizer;
import dev.lmforge.activities.text.BpeTokenizer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvaluationRunTest {

    @TempDir
    Path dir;

    @Test
    void runsTheBundledSuiteSkippingTasksThatHaveResults() throws IOException {
        new SuiteGenerator(SuiteGeneratorTest.CORPUS, 3, 12).write(dir);
        List<Task> tasks = Suite.read(dir.resolve(SuiteGenerator.SUITE_FILE)).load();
        BpeTokenizer tokenizer = SmallTokenizers.merged();
        TaskEvaluator evaluator = new TaskEvaluator(ModelWithTokenizer.of(
                BitsPerByteTest.uniformByteFakeModel(tokenizer, 64), tokenizer), 16);

        List<MetricResult> earlier = List.of(new MetricResult("copy", "exact_match", 0.25, 12, 0.1),
                new MetricResult("copy", "repetition_ratio", 0.5, 12, null));
        List<String> evaluated = new ArrayList<>();
        List<MetricResult> results = new EvaluationRun(evaluator).run(tasks, earlier,
                taskResults -> evaluated.add(taskResults.get(0).task()));

        assertEquals(List.of("arithmetic", "cloze"), evaluated, "copy already had results");
        assertEquals(List.of("arithmetic/exact_match", "arithmetic/repetition_ratio", "copy/exact_match",
                "copy/repetition_ratio", "cloze/acc", "cloze/acc_norm", "cloze/acc_uncond"),
                results.stream().map(r -> r.task() + "/" + r.metric()).toList());
        assertEquals(earlier, results.subList(2, 4));
        for (MetricResult r : results) {
            assertTrue(r.value() >= 0 && r.value() <= 1, r.toString());
        }
        assertEquals(12, results.get(4).n());

        ObjectMapper json = new ObjectMapper();
        String text = json.writeValueAsString(results);
        assertTrue(text.contains("\"task\":\"cloze\",\"metric\":\"acc\""), text);
        assertEquals(results, json.readValue(text, new TypeReference<List<MetricResult>>() { }));
    }
}
