package dev.lmforge.activities.alignment;

import dev.lmforge.activities.model.DecoderLanguageModel;
import dev.lmforge.activities.model.DecoderTrainer;
import dev.lmforge.activities.model.GreedyDecoder;
import dev.lmforge.activities.model.ModelWithTokenizer;
import dev.lmforge.activities.text.RepetitionRatio;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The paper's repetition ratio (Section 4) on a fixed prompt set: the model answers each prompt greedily through
 * the {@link ChatTemplate}, and {@link RepetitionRatio} counts repeated n-grams in the answers.
 */
public final class RepetitionProbe {

    /** The fixed prompts: instructions and questions like the bundled SFT set's, none of them in it. */
    public static final List<String> PROMPTS = List.of(
            "What is 12 + 9?", "Say: the river is cold.", "Hello, who are you?", "What is 7 + 30?",
            "Say: bring the blue box.", "Tell me about the weather.", "What is 41 + 5?", "Thanks for the help.");

    private final ChatTemplate template;
    private final int maxNewTokens;

    /** @param maxNewTokens the longest answer, cut to fit the model's context */
    public RepetitionProbe(ChatTemplate template, int maxNewTokens) {
        this.template = template;
        this.maxNewTokens = maxNewTokens;
    }

    /** The ratio of the model that {@code trainer} holds now; its variables pass through {@code scratch}. */
    public RepetitionRatio measure(DecoderTrainer trainer, Path scratch) {
        trainer.save(scratch);
        try (DecoderLanguageModel model = new DecoderLanguageModel(trainer.setup(), scratch)) {
            GreedyDecoder decoder = new GreedyDecoder(ModelWithTokenizer.of(model, template.tokenizer()));
            int limit = Math.min(maxNewTokens, model.contextLength() - 1);
            List<int[]> answers = new ArrayList<>();
            for (String prompt : PROMPTS) {
                answers.add(decoder.generate(template.prompt(prompt), List.of(), limit).tokens());
            }
            return RepetitionRatio.of(answers);
        }
    }
}
