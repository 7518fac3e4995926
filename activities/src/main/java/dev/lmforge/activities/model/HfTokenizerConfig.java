package dev.lmforge.activities.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code tokenizer_config.json} beside an exported {@code tokenizer.json}: the fast tokenizer class, the special
 * tokens ({@code <|bos|>}, {@code <|eos|>}, {@code <|pad|>}), the context length, and the chat template SFT trains
 * on as Jinja, so that {@code apply_chat_template} renders the conversation SFT saw:
 * {@code <|bos|>} then per message its role token and content, {@code <|eos|>} after each assistant turn, and
 * {@code <|assistant|>} to ask for a reply. The tokenizer adds no token by itself: plain text is encoded as it is
 * (lmforge's evaluation puts {@code <|bos|>} before a document; the template writes it for chats).
 *
 * <p>One difference cannot be expressed in Jinja: lmforge encodes message content as plain text, so
 * {@code "<|eos|>"} typed inside a message is five ordinary tokens, whereas {@code apply_chat_template} renders a
 * string and the tokenizer then matches special tokens anywhere in it. Conversations whose content spells a
 * special token therefore encode differently in transformers; lmforge's own chat commands keep content plain.
 */
public final class HfTokenizerConfig {

    /** The file's name in a Hugging Face model folder. */
    public static final String FILE_NAME = "tokenizer_config.json";

    /** The roles the template knows, as the SFT files name them; each opens its turn with {@code <|role|>}. */
    public static final List<String> ROLES = List.of("system", "user", "assistant");

    /** lmforge's chat format (the alignment stage's {@code ChatTemplate}) as a Jinja chat template. */
    public static final String CHAT_TEMPLATE = "{{ '" + ModelWithTokenizer.DOCUMENT_START + "' }}"
            + "{% for message in messages %}"
            + "{% if message['role'] not in ['" + String.join("', '", ROLES) + "'] %}"
            + "{{ raise_exception('role ' + message['role'] + ' is not one of " + String.join(", ", ROLES)
            + "') }}{% endif %}"
            + "{{ '<|' + message['role'] + '|>' + message['content'] }}"
            + "{% if message['role'] == 'assistant' %}{{ '" + ModelWithTokenizer.DOCUMENT_END + "' }}{% endif %}"
            + "{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}";

    /** Fills batches; never trained on. */
    public static final String PADDING = "<|pad|>";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private HfTokenizerConfig() {
    }

    /** Writes {@code folder/tokenizer_config.json} for a model of {@code contextLength} positions. */
    public static void write(Path folder, int contextLength) throws IOException {
        ObjectNode config = JSON.createObjectNode();
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        config.put("bos_token", ModelWithTokenizer.DOCUMENT_START);
        config.put("eos_token", ModelWithTokenizer.DOCUMENT_END);
        config.put("pad_token", PADDING);
        config.putNull("unk_token");
        config.put("add_bos_token", false);
        config.put("add_eos_token", false);
        config.put("clean_up_tokenization_spaces", false);
        config.put("model_max_length", contextLength);
        config.put("padding_side", "left");
        config.put("chat_template", CHAT_TEMPLATE);
        Files.write(folder.resolve(FILE_NAME), JSON.writeValueAsBytes(config));
    }
}
