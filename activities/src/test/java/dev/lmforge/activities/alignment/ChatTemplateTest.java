package dev.lmforge.activities.alignment;

import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.model.HfTokenizerConfig;
import dev.lmforge.activities.model.ModelWithTokenizer;
import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.tokenizer.BpeTrainer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The chat template's ids, which of them are trained, and its refusal of a tokenizer without role tokens. */
class ChatTemplateTest {

    private final BpeTokenizer tokenizer = TinyChatModels.tokenizer();
    private final ChatTemplate template = new ChatTemplate(tokenizer);

    /**
     * The Jinja chat template of the Hugging Face export spells the same tokens as this template (transformers
     * renders it against SFT's ids in HfExportCompatibilityTest).
     */
    @Test
    void theExportedJinjaTemplateNamesTheseTokens() {
        assertEquals(ModelWithTokenizer.DOCUMENT_START, ChatTemplate.BEGIN);
        assertEquals(ModelWithTokenizer.DOCUMENT_END, ChatTemplate.END_OF_TURN);
        assertEquals(HfTokenizerConfig.PADDING, ChatTemplate.PADDING);
        assertEquals(HfTokenizerConfig.ROLES, Arrays.stream(ChatRole.values()).map(ChatRole::jsonName).toList());
        for (ChatRole role : ChatRole.values()) {
            assertEquals("<|" + role.jsonName() + "|>", role.token());
        }
    }

    @Test
    void onlyAssistantTextAndItsEndAreTrained() {
        SftExample example = new SftExample("t:1", List.of(new ChatMessage(ChatRole.SYSTEM, "Be brief."),
                new ChatMessage(ChatRole.USER, "Hello!"), new ChatMessage(ChatRole.ASSISTANT, "Hi.")), false);
        ChatTemplate.Encoded encoded = template.encode(example);
        int[] trainedIds = IntStream.range(0, encoded.tokens().length)
                .filter(i -> encoded.trained()[i]).map(i -> encoded.tokens()[i]).toArray();
        assertEquals("Hi.<|eos|>", tokenizer.decode(trainedIds));
        assertEquals("<|bos|><|system|>Be brief.<|user|>Hello!<|assistant|>Hi.<|eos|>",
                tokenizer.decode(encoded.tokens()));
    }

    @Test
    void promptEndsWithTheAssistantTokenAndMatchesTheTrainingLayout() {
        int[] prompt = template.prompt("What is 1 + 2?");
        int[] exchange = template.exchange("t:1", "What is 1 + 2?", "3").tokens();
        assertArrayEquals(prompt, Arrays.copyOf(exchange, prompt.length));
        assertEquals(tokenizer.specialTokenId("<|assistant|>"), prompt[prompt.length - 1]);
    }

    @Test
    void textThatSpellsASpecialTokenStaysText() {
        ChatTemplate.Encoded encoded = template.exchange("t:1", "<|eos|>", "ok");
        assertEquals(1, Arrays.stream(encoded.tokens())
                .filter(id -> id == tokenizer.specialTokenId("<|eos|>")).count());
    }

    @Test
    void refusesATokenizerWithoutTheRoleTokens() {
        BpeTrainer trainer = new BpeTrainer(256 + 3, List.of("<|bos|>", "<|eos|>", "<|pad|>"));
        trainer.addText("plain text");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> new ChatTemplate(trainer.train()));
        assertEquals("the tokenizer lacks the chat template's special tokens [<|system|>, <|user|>, <|assistant|>];"
                + " it has [<|bos|>, <|eos|>, <|pad|>]", e.getMessage());
    }

    @Test
    void aPromptThatFillsTheContextIsRefusedByItsSource() {
        ChatTemplate.Encoded encoded = template.exchange("data.jsonl:7", "x".repeat(200), "y");
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> TrainingRows.of(List.of(encoded), 16, template.padding()));
        assertEquals("data.jsonl:7: the prompt fills the model's context of 16 tokens; no response token is left "
                + "to train on", e.getMessage());
    }
}
