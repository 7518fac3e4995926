package dev.lmforge.activities.evaluation;

import java.nio.file.Path;
import java.util.List;

/**
 * A task as its file describes it (see {@link TaskLoader} for the format). Fields that belong to the other
 * {@link TaskType} are null.
 *
 * @param file               the task file
 * @param name               the task's name, unique within a suite
 * @param type               how it is scored
 * @param data               the JSONL data file, one item per line
 * @param prompt             the prompt template
 * @param delimiter          text between a prompt and its answer (choice or target)
 * @param fewShot            how many solved examples go before each prompt
 * @param fewShotSeed        the seed that picks them
 * @param fewShotSeparator   text after each solved example
 * @param metrics            the metrics to report
 * @param specialTokens      special tokens the prompts use; the model's tokenizer must have them
 * @param choicesField       multiple choice: the data field holding the list of choices
 * @param answerField        multiple choice: the data field holding the correct choice's index from 0
 * @param unconditionalPrompt multiple choice with {@code acc_uncond}: the context for the unconditional score
 * @param target             generate: the template of the expected answer
 * @param stop               generate: decoding stops before the first of these
 * @param answerParser       generate: how the generation is compared with the target
 * @param maxNewTokens       generate: the most tokens to generate
 */
public record TaskSpec(Path file, String name, TaskType type, Path data, PromptTemplate prompt, String delimiter,
        int fewShot, long fewShotSeed, String fewShotSeparator, List<Metric> metrics, List<String> specialTokens,
        String choicesField, String answerField, String unconditionalPrompt,
        PromptTemplate target, List<String> stop, AnswerParser answerParser, int maxNewTokens) {
}
