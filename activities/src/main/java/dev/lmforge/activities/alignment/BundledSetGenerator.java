package dev.lmforge.activities.alignment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes the bundled SFT and DPO sets ({@link AlignmentData#BUNDLED_SFT}, {@link AlignmentData#BUNDLED_PREFERENCES})
 * from a seed: small enough for a tiny model to learn in seconds, and shaped like the real thing. SFT holds
 * arithmetic questions answered with the sum (not conversational, like the paper's math data), "Say: ..."
 * instructions answered with the phrase, and greetings (both conversational). DPO pairs prefer the correct,
 * concise answer over a wrong one or one that repeats itself.
 *
 * <p>{@code lmforge align generate-data --out DIR} writes them; a test checks the bundled files are this
 * generator's output.
 */
public final class BundledSetGenerator {

    /** The seed of the bundled sets. */
    public static final long SEED = 7;
    /** Conversations in the bundled SFT set. */
    public static final int SFT_EXAMPLES = 96;
    /** Pairs in the bundled DPO set. */
    public static final int PREFERENCE_PAIRS = 64;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> WORDS = List.of("red", "fish", "cold", "sun", "tree", "box", "rain", "bird",
            "blue", "stone", "road", "milk");
    private static final List<String[]> GREETINGS = List.of(
            new String[] {"Hello!", "Hello! How can I help?"},
            new String[] {"Hi there.", "Hi! What do you need?"},
            new String[] {"Good morning.", "Good morning to you."},
            new String[] {"Thank you.", "You are welcome."},
            new String[] {"Goodbye.", "Goodbye, take care."});

    private BundledSetGenerator() {
    }

    /** Writes both sets, as bundled, into {@code directory}; returns the two files. */
    public static List<Path> write(Path directory) throws IOException {
        Files.createDirectories(directory);
        Path sft = Files.writeString(directory.resolve(AlignmentData.BUNDLED_SFT), sftJsonl(SEED, SFT_EXAMPLES),
                StandardCharsets.UTF_8);
        Path preferences = Files.writeString(directory.resolve(AlignmentData.BUNDLED_PREFERENCES),
                preferencesJsonl(SEED, PREFERENCE_PAIRS), StandardCharsets.UTF_8);
        return List.of(sft, preferences);
    }

    /** {@code count} SFT conversations, one JSON object a line. */
    public static String sftJsonl(long seed, int count) {
        SplittableRandom random = new SplittableRandom(seed);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < count; i++) {
            String[] exchange;
            boolean conversational = true;
            switch (i % 3) {
                case 0 -> {
                    int a = random.nextInt(50);
                    int b = random.nextInt(50);
                    exchange = new String[] {"What is " + a + " + " + b + "?", a + " + " + b + " = " + (a + b) + "."};
                    conversational = false;
                }
                case 1 -> {
                    String phrase = phrase(random);
                    exchange = new String[] {"Say: " + phrase + ".", phrase + "."};
                }
                default -> exchange = GREETINGS.get(random.nextInt(GREETINGS.size()));
            }
            Map<String, Object> record = new LinkedHashMap<>();
            record.put("messages", List.of(message("user", exchange[0]), message("assistant", exchange[1])));
            record.put("conversational", conversational);
            out.append(json(record)).append('\n');
        }
        return out.toString();
    }

    /** {@code count} preference pairs, one JSON object a line. */
    public static String preferencesJsonl(long seed, int count) {
        SplittableRandom random = new SplittableRandom(seed + 1);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < count; i++) {
            String prompt;
            String chosen;
            String rejected;
            if (i % 2 == 0) {
                int a = random.nextInt(50);
                int b = random.nextInt(50);
                prompt = "What is " + a + " + " + b + "?";
                chosen = a + " + " + b + " = " + (a + b) + ".";
                rejected = a + " + " + b + " = " + (a + b + 1 + random.nextInt(9)) + ".";
            } else {
                String phrase = phrase(random);
                prompt = "Say: " + phrase + ".";
                chosen = phrase + ".";
                rejected = (phrase + " ").repeat(3).trim() + ".";
            }
            Map<String, Object> record = new LinkedHashMap<>();
            record.put("prompt", prompt);
            record.put("chosen", chosen);
            record.put("rejected", rejected);
            out.append(json(record)).append('\n');
        }
        return out.toString();
    }

    /** A message object whose fields keep their order (Map.of's order differs between runs). */
    private static Map<String, String> message(String role, String content) {
        Map<String, String> message = new LinkedHashMap<>();
        message.put("role", role);
        message.put("content", content);
        return message;
    }

    private static String phrase(SplittableRandom random) {
        List<String> words = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            words.add(WORDS.get(random.nextInt(WORDS.size())));
        }
        return String.join(" ", words);
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
