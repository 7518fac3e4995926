package dev.lmforge.activities.alignment;

import dev.lmforge.activities.model.ComputePrecision;
import dev.lmforge.activities.model.ModelShape;
import dev.lmforge.activities.model.OptimizerSettings;
import dev.lmforge.activities.model.TrainingSetup;
import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.tokenizer.BpeTrainer;



/** A real tokenizer learned from the bundled sets and a decoder small enough to align in a test. */
final class TinyChatModels {

    static final int SEQ_LEN = 40;

    private static BpeTokenizer tokenizer;

    private TinyChatModels() {
    }

    /** The default special tokens (role tokens included) and 120 merges learned from the bundled sets. */
    static synchronized BpeTokenizer tokenizer() {
        if (tokenizer == null) {
            BpeTrainer trainer = new BpeTrainer(256 + BpeTrainer.DEFAULT_SPECIAL_TOKENS.size() + 120);
            trainer.addText(BundledSetGenerator.sftJsonl(BundledSetGenerator.SEED, BundledSetGenerator.SFT_EXAMPLES));
            trainer.addText(BundledSetGenerator.preferencesJsonl(BundledSetGenerator.SEED,
                    BundledSetGenerator.PREFERENCE_PAIRS));
            tokenizer = trainer.train();
        }
        return tokenizer;
    }

    /** One layer, d_model 32, {@code sequencesPerStep} rows a step. */
    static TrainingSetup setup(int sequencesPerStep) {
        ModelShape shape = new ModelShape(1, 32, 2, 1, SEQ_LEN, tokenizer().vocabularySize());
        return new TrainingSetup(shape, OptimizerSettings.paper(), sequencesPerStep, 1, ComputePrecision.FLOAT32,
                11, 1, null);
    }
}
