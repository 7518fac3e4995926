package dev.lmforge.activities.text;

import java.io.IOException;

/** A {@code tokenizer.json} that is corrupt, or valid but describing a tokenizer lmforge cannot run. */
public final class TokenizerFormatException extends IOException {

    public TokenizerFormatException(String message) {
        super(message);
    }
}
