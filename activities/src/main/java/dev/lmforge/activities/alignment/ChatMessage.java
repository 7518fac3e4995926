package dev.lmforge.activities.alignment;

/** One turn of a conversation. */
public record ChatMessage(ChatRole role, String content) {
}
