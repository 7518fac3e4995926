package dev.lmforge.activities.evaluation;

import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.tokenizer.BpeTrainer;



/** Real tokenizers small enough to train in a test. */
public final class SmallTokenizers {

    static final String ENGLISH = "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs on. "
            + "Packages are built from source; the maintainer uploads the package to the archive. ";

    private static BpeTokenizer byteLevel;
    private static BpeTokenizer merged;

    private SmallTokenizers() {
    }

    /** Only the 256 bytes and the default special tokens: one token per byte. */
    public static synchronized BpeTokenizer byteLevel() {
        if (byteLevel == null) {
            BpeTrainer trainer = new BpeTrainer(256 + BpeTrainer.DEFAULT_SPECIAL_TOKENS.size());
            trainer.addText(ENGLISH);
            byteLevel = trainer.train();
        }
        return byteLevel;
    }

    /** 120 merges learned from {@link #ENGLISH}: many tokens span several bytes. */
    static synchronized BpeTokenizer merged() {
        if (merged == null) {
            BpeTrainer trainer = new BpeTrainer(256 + BpeTrainer.DEFAULT_SPECIAL_TOKENS.size() + 120);
            for (int i = 0; i < 20; i++) {
                trainer.addText(ENGLISH);
            }
            merged = trainer.train();
        }
        return merged;
    }
}
