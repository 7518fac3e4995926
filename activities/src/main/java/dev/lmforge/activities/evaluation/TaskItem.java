package dev.lmforge.activities.evaluation;

import java.util.List;

/**
 * One item of a task's data, its templates filled in.
 *
 * @param line    its line in the data file
 * @param prompt  the rendered prompt
 * @param target  the expected answer: for multiple choice, the correct choice
 * @param choices multiple choice: the choices (empty for generate tasks)
 * @param answer  multiple choice: the correct choice's index (-1 for generate tasks)
 */
public record TaskItem(int line, String prompt, String target, List<String> choices, int answer) {
}
