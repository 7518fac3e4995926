package dev.lmforge.activities.text;

import dev.lmforge.activities.tokenizer.BpeTrainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Tokenizers trained once per test run on the committed sample text. */
public final class TrainedTokenizers {

    private static BpeTokenizer mixedText;

    private TrainedTokenizers() {
    }

    /** The lines of {@code src/test/resources/tokenizer/mixed-text.txt} (many scripts, code, emoji, CRLF). */
    public static List<String> mixedTextLines() {
        String text = mixedText();
        List<String> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                lines.add(text.substring(start, i + 1));
                start = i + 1;
            }
        }
        return lines;
    }

    public static String mixedText() {
        try {
            return Files.readString(Path.of("src/test/resources/tokenizer/mixed-text.txt"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** 700 ids trained on the sample text: enough merges to build multi-byte CJK and word tokens. */
    public static synchronized BpeTokenizer mixedTextTokenizer() {
        if (mixedText == null) {
            BpeTrainer trainer = new BpeTrainer(700);
            mixedTextLines().forEach(trainer::addText);
            mixedText = trainer.train();
        }
        return mixedText;
    }
}
