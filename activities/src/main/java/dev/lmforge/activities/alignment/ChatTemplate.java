package dev.lmforge.activities.alignment;

import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.text.BpeTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns conversations into token ids with the tokenizer's role tokens:
 * {@code <|bos|> <|system|>text <|user|>text <|assistant|>text<|eos|> ...}. Each assistant turn ends with
 * {@code <|eos|>}, so that a model asked with {@link #prompt} stops where its answer ends; only assistant text and
 * that {@code <|eos|>} are marked trained. Message text is plain text: a special token's spelling inside it is
 * not a special token.
 */
public final class ChatTemplate {

    /** Starts every conversation. */
    public static final String BEGIN = "<|bos|>";
    /** Ends every assistant turn. */
    public static final String END_OF_TURN = "<|eos|>";
    /** Fills rows after a conversation ends; never trained on. */
    public static final String PADDING = "<|pad|>";

    private final BpeTokenizer tokenizer;
    private final int begin;
    private final int endOfTurn;
    private final int padding;
    private final int[] roleTokens = new int[ChatRole.values().length];

    /**
     * One conversation's ids and which of them are trained on.
     *
     * @param source  where the conversation was read, for errors
     * @param tokens  the ids
     * @param trained per id, whether predicting it is in the loss
     */
    public record Encoded(String source, int[] tokens, boolean[] trained) {
    }

    /** @throws InvalidInputException naming the missing tokens if the tokenizer lacks any the template uses */
    public ChatTemplate(BpeTokenizer tokenizer) {
        List<String> needed = new ArrayList<>(List.of(BEGIN, END_OF_TURN, PADDING));
        Arrays.stream(ChatRole.values()).map(ChatRole::token).forEach(needed::add);
        List<String> missing = needed.stream().filter(t -> !tokenizer.specialTokens().containsKey(t)).toList();
        if (!missing.isEmpty()) {
            throw new InvalidInputException("the tokenizer lacks the chat template's special tokens " + missing
                    + "; it has " + tokenizer.specialTokens().keySet());
        }
        this.tokenizer = tokenizer;
        begin = tokenizer.specialTokenId(BEGIN);
        endOfTurn = tokenizer.specialTokenId(END_OF_TURN);
        padding = tokenizer.specialTokenId(PADDING);
        for (ChatRole role : ChatRole.values()) {
            roleTokens[role.ordinal()] = tokenizer.specialTokenId(role.token());
        }
    }

    /** The tokenizer the template encodes with. */
    public BpeTokenizer tokenizer() {
        return tokenizer;
    }

    /** The padding id. */
    public int padding() {
        return padding;
    }

    /** An SFT conversation, every assistant turn trained. */
    public Encoded encode(SftExample example) {
        return encode(example.source(), example.messages());
    }

    /** A single exchange: the user's {@code prompt} and the assistant's {@code response}, the response trained. */
    public Encoded exchange(String source, String prompt, String response) {
        return encode(source, List.of(new ChatMessage(ChatRole.USER, prompt),
                new ChatMessage(ChatRole.ASSISTANT, response)));
    }

    /** The ids that ask the model to answer {@code userText}: up to and including the assistant's role token. */
    public int[] prompt(String userText) {
        return prompt(List.of(new ChatMessage(ChatRole.USER, userText)));
    }

    /**
     * The ids that ask the model for the next assistant turn after {@code messages}: the conversation as SFT
     * encodes it (each assistant turn closed by {@code <|eos|>}), then the assistant's role token.
     */
    public int[] prompt(List<ChatMessage> messages) {
        int[] conversation = encode("prompt", messages).tokens();
        int[] ids = Arrays.copyOf(conversation, conversation.length + 1);
        ids[conversation.length] = roleTokens[ChatRole.ASSISTANT.ordinal()];
        return ids;
    }

    private Encoded encode(String source, List<ChatMessage> messages) {
        int[] ids = new int[16];
        boolean[] trained = new boolean[16];
        int n = 0;
        ids[n++] = begin;
        for (ChatMessage message : messages) {
            boolean answer = message.role() == ChatRole.ASSISTANT;
            int[] text = tokenizer.encode(message.content());
            int needed = n + text.length + 2;
            if (needed > ids.length) {
                ids = Arrays.copyOf(ids, Math.max(needed, 2 * ids.length));
                trained = Arrays.copyOf(trained, ids.length);
            }
            ids[n++] = roleTokens[message.role().ordinal()];
            for (int id : text) {
                trained[n] = answer;
                ids[n++] = id;
            }
            if (answer) {
                trained[n] = true;
                ids[n++] = endOfTurn;
            }
        }
        return new Encoded(source, Arrays.copyOf(ids, n), Arrays.copyOf(trained, n));
    }
}
