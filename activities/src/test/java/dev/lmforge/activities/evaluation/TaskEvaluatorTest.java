package dev.lmforge.activities.evaluation;

import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.model.FormulaFakeModel;
import dev.lmforge.activities.model.GreedyDecoderTest;
import dev.lmforge.activities.model.ModelWithTokenizer;
import dev.lmforge.activities.text.BpeTokenizer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskEvaluatorTest {

    private static final BpeTokenizer TOKENIZER = SmallTokenizers.byteLevel();

    @TempDir
    Path dir;

    /**
     * A fake built so that the three accuracies disagree on the choices "x", "yyyy" and "z" after a prompt "Q":
     * "x" has the best total (-1), "yyyy" the best per byte (-0.4 each, -1.6 in all), and "z" (-1.1) is the only
     * one the prompt makes likelier than the unconditional prompt does (-5 without a 'Q' before it).
     */
    private static FormulaFakeModel choiceFakeModel(int contextLength) {
        int q = TOKENIZER.encode("Q")[0];
        return new FormulaFakeModel(TOKENIZER.vocabularySize(), contextLength, (row, i) -> {
            boolean prompted = Arrays.stream(row, 0, i).anyMatch(id -> id == q);
            return switch ((char) TOKENIZER.tokenBytes(row[i])[0]) {
                case 'x' -> -1.0;
                case 'y' -> -0.4;
                case 'z' -> prompted ? -1.1 : -5;
                default -> -3;
            };
        });
    }

    private Task choiceTask(String metrics, String extra) throws IOException {
        StringBuilder data = new StringBuilder();
        for (int answer : new int[] {0, 0, 0, 1, 1, 2}) {
            data.append("{\"p\": \"Q\", \"c\": [\"x\", \"yyyy\", \"z\"], \"a\": ").append(answer).append("}\n");
        }
        Files.writeString(dir.resolve("choice.jsonl"), data);
        return TaskLoader.load(Files.writeString(dir.resolve("choice.yaml"), "name: choice\ntype: multiple_choice\n"
                + "data: choice.jsonl\nprompt: \"{{p}}\"\ndelimiter: \"\"\nchoices: c\nanswer: a\nmetrics: " + metrics
                + "\n" + extra));
    }

    private static Map<String, MetricResult> byMetric(List<MetricResult> results) {
        return results.stream().collect(Collectors.toMap(MetricResult::metric, r -> r));
    }

    @Test
    void theThreeAccuraciesPickWhatTheirScoresFavour() throws IOException {
        FormulaFakeModel fake = choiceFakeModel(32);
        Task task = choiceTask("[acc, acc_norm, acc_uncond]", "unconditional_prompt: \"Answer:\"\n");
        List<MetricResult> results = new TaskEvaluator(ModelWithTokenizer.of(fake, TOKENIZER), 5).evaluate(task);
        assertEquals(List.of("acc", "acc_norm", "acc_uncond"), results.stream().map(MetricResult::metric).toList());
        Map<String, MetricResult> metric = byMetric(results);
        assertEquals(3 / 6.0, metric.get("acc").value(), 1e-12, "picks x: the answer of 3 items");
        assertEquals(2 / 6.0, metric.get("acc_norm").value(), 1e-12, "picks yyyy: the answer of 2 items");
        assertEquals(1 / 6.0, metric.get("acc_uncond").value(), 1e-12, "picks z: the answer of 1 item");
        assertEquals(6, metric.get("acc").n());
        assertEquals(Math.sqrt(0.3 / 6), metric.get("acc").stderr(), 1e-12, "sample standard error of the mean");
        // 6 items x 3 choices, each with and without the prompt, in batches of at most 5.
        assertEquals(36, fake.scoredRows.size());
        assertTrue(fake.batchSizes.stream().allMatch(size -> size <= 5));
        // One row per batch scores the items a few at a time, to the same figures.
        FormulaFakeModel oneRowAtATime = choiceFakeModel(32);
        assertEquals(results, new TaskEvaluator(ModelWithTokenizer.of(oneRowAtATime, TOKENIZER), 1).evaluate(task));
        assertEquals(36, oneRowAtATime.batchSizes.size());
        int bos = TOKENIZER.specialTokenId(ModelWithTokenizer.DOCUMENT_START);
        assertTrue(fake.scoredRows.stream().anyMatch(row -> Arrays.equals(row, new int[] {bos,
                TOKENIZER.encode("Q")[0], TOKENIZER.encode("y")[0], TOKENIZER.encode("y")[0],
                TOKENIZER.encode("y")[0], TOKENIZER.encode("y")[0]})), "context then continuation, nothing else");
    }

    @Test
    void withoutAcc_uncondNoUnconditionalRowsAreScored() throws IOException {
        FormulaFakeModel fake = choiceFakeModel(32);
        List<MetricResult> results = new TaskEvaluator(ModelWithTokenizer.of(fake, TOKENIZER), 64)
                .evaluate(choiceTask("[acc_norm]", ""));
        assertEquals(1, results.size());
        assertEquals(18, fake.scoredRows.size());
        assertEquals(List.of(18), fake.batchSizes);
    }

    @Test
    void aContextLongerThanTheModelLosesItsOldestTokens() throws IOException {
        // Few-shot examples make the context far longer than 4 tokens; the choices still fit and are scored.
        FormulaFakeModel fake = choiceFakeModel(4);
        Task task = choiceTask("[acc]", "few_shot: 4\n");
        assertEquals(3 / 6.0, new TaskEvaluator(ModelWithTokenizer.of(fake, TOKENIZER), 8).evaluate(task).get(0).value());
        assertTrue(fake.scoredRows.stream().allMatch(row -> row.length <= 5));
    }

    @Test
    void aChoiceLongerThanTheContextIsRefusedNamingItsLine() throws IOException {
        FormulaFakeModel fake = choiceFakeModel(3);
        TaskFileException e = assertThrows(TaskFileException.class,
                () -> new TaskEvaluator(ModelWithTokenizer.of(fake, TOKENIZER), 8).evaluate(choiceTask("[acc]", "")));
        assertTrue(e.getMessage().contains("choice.jsonl:1: a choice encodes to 4 tokens"), e.getMessage());
    }

    @Test
    void generationTasksScoreParsedAnswersAndRepetition() throws IOException {
        Files.writeString(dir.resolve("sums.jsonl"), "{\"q\": \"12+7\", \"a\": 19}\n{\"q\": \"3+3\", \"a\": 6}\n"
                + "{\"q\": \"10+9\", \"a\": \"19.0\"}\n");
        Task task = TaskLoader.load(Files.writeString(dir.resolve("sums.yaml"), "name: sums\ntype: generate\n"
                + "data: sums.jsonl\nprompt: \"{{q}}=\"\ntarget: \"{{a}}\"\nanswer_parser: number\nstop: [\"\\n\"]\n"
                + "max_new_tokens: 6\nmetrics: [exact_match, repetition_ratio]\n"));
        // The fake answers 19 to everything.
        ModelWithTokenizer model = ModelWithTokenizer.of(GreedyDecoderTest.scriptedFakeModel(64, "19\n"), TOKENIZER);
        Map<String, MetricResult> metric = byMetric(new TaskEvaluator(model, 4).evaluate(task));
        assertEquals(2 / 3.0, metric.get("exact_match").value(), 1e-12);
        assertEquals(0.0, metric.get("repetition_ratio").value(), "three tokens per answer hold no 4-gram");
        assertNull(metric.get("repetition_ratio").stderr());
        assertEquals(3, metric.get("repetition_ratio").n());

        ModelWithTokenizer looping = ModelWithTokenizer.of(GreedyDecoderTest.scriptedFakeModel(64, "abababab"), TOKENIZER);
        Map<String, MetricResult> loops = byMetric(new TaskEvaluator(looping, 4).evaluate(task));
        assertEquals(0.0, loops.get("exact_match").value());
        // "ababab" (max_new_tokens 6) has 3 4-grams: abab, baba, abab; one repeats, in each of 3 generations.
        assertEquals(1 / 3.0, loops.get("repetition_ratio").value(), 1e-12);
    }

    @Test
    void aTaskUsingSpecialTokensTheTokenizerLacksIsRefused() throws IOException {
        Task task = choiceTask("[acc]", "special_tokens: [\"<|user|>\", \"<|tool|>\"]\n");
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> new TaskEvaluator(ModelWithTokenizer.of(choiceFakeModel(32), TOKENIZER), 4).evaluate(task));
        assertTrue(e.getMessage().contains("task choice uses special token <|tool|>"), e.getMessage());
    }
}
