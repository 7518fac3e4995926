package dev.lmforge.activities.alignment;

/**
 * One DPO preference: two responses to the same user prompt, the {@code chosen} one preferred.
 *
 * @param source where it was read, {@code file:line}, for error messages
 */
public record PreferencePair(String source, String prompt, String chosen, String rejected) {
}
