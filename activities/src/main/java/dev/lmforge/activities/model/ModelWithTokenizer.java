package dev.lmforge.activities.model;

import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.text.BpeTokenizer;
import java.util.List;

/**
 * A model together with the tokenizer it was trained with, and the token that starts every document: evaluation
 * puts it before each text and prompt so that even the first real token is scored given some context.
 *
 * @param model         the model under evaluation
 * @param tokenizer     its tokenizer; both must count the same vocabulary
 * @param documentStart the id of the token that starts a document (by default {@code <|bos|>})
 */
public record ModelWithTokenizer(LanguageModel model, BpeTokenizer tokenizer, int documentStart) {

    /** The special token lmforge's tokenizers put at the start of each document. */
    public static final String DOCUMENT_START = "<|bos|>";
    /** The special token that ends a document; greedy decoding stops on it. */
    public static final String DOCUMENT_END = "<|eos|>";

    /** @throws InvalidInputException if the model and tokenizer disagree on the vocabulary or the id is not in it */
    public ModelWithTokenizer {
        if (model.vocabularySize() != tokenizer.vocabularySize()) {
            throw new InvalidInputException("the model has " + model.vocabularySize() + " token ids but its tokenizer has "
                    + tokenizer.vocabularySize() + ": they were not trained together");
        }
        if (documentStart < 0 || documentStart >= tokenizer.vocabularySize()) {
            throw new InvalidInputException("document start id " + documentStart + " is outside the vocabulary of "
                    + tokenizer.vocabularySize());
        }
    }

    /** The model and tokenizer, documents starting with the tokenizer's {@value #DOCUMENT_START}. */
    public static ModelWithTokenizer of(LanguageModel model, BpeTokenizer tokenizer) {
        if (!tokenizer.specialTokens().containsKey(DOCUMENT_START)) {
            throw new InvalidInputException("the tokenizer has no " + DOCUMENT_START + " token to start documents with; "
                    + "it has " + tokenizer.specialTokens().keySet());
        }
        return new ModelWithTokenizer(model, tokenizer, tokenizer.specialTokenId(DOCUMENT_START));
    }

    /** The id of {@value #DOCUMENT_END}, or -1 if the tokenizer has none. */
    public int documentEnd() {
        Integer id = tokenizer.specialTokens().get(DOCUMENT_END);
        return id == null ? -1 : id;
    }

    /** The document start followed by {@code text}'s tokens; special token strings are tokens when {@code specials}. */
    public int[] encodeDocument(String text, boolean specials) {
        int[] body = encode(text, specials);
        int[] ids = new int[body.length + 1];
        ids[0] = documentStart;
        System.arraycopy(body, 0, ids, 1, body.length);
        return ids;
    }

    /** {@code text}'s tokens; special token strings become their tokens when {@code specials}, else plain text. */
    public int[] encode(String text, boolean specials) {
        return specials ? tokenizer.encodeWithSpecialTokens(text) : tokenizer.encode(text);
    }

    /**
     * Refuses a task whose prompts use special tokens this tokenizer lacks.
     *
     * @param specialTokens the special tokens a task's prompts use
     * @param task          the task, for the message
     */
    public void requireSpecialTokens(List<String> specialTokens, String task) {
        for (String special : specialTokens) {
            if (!tokenizer.specialTokens().containsKey(special)) {
                throw new InvalidInputException("task " + task + " uses special token " + special
                        + " but the model's tokenizer has only " + tokenizer.specialTokens().keySet());
            }
        }
    }
}
