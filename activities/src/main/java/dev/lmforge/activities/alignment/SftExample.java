package dev.lmforge.activities.alignment;

import java.util.List;

/**
 * One supervised fine-tuning conversation.
 *
 * @param source         where it was read, {@code file:line}, for error messages
 * @param messages       the turns, at least one from the assistant (the only ones in the loss)
 * @param conversational whether it belongs to the paper's second SFT stage (conversational data only)
 */
public record SftExample(String source, List<ChatMessage> messages, boolean conversational) {

    public SftExample {
        messages = List.copyOf(messages);
    }
}
