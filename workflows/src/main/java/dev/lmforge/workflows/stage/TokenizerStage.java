package dev.lmforge.workflows.stage;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * The tokenizer stage's contract: train a byte-level BPE tokenizer on (a sample of) the corpus, then write the
 * corpus as binary token shards. Outputs {@code tokenizer} (a Hugging Face {@code tokenizer.json}) and
 * {@code tokens} (a manifest of the shards and their index).
 */
@ActivityInterface
public interface TokenizerStage {

    @ActivityMethod
    StageOutput tokenize(StageInput input);
}
