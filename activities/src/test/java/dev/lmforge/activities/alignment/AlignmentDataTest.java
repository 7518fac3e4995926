package dev.lmforge.activities.alignment;

import dev.lmforge.activities.InvalidInputException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JSONL formats: the bundled sets read back, and each malformed line is refused by file, line and field. */
class AlignmentDataTest {

    @TempDir
    Path dir;

    @Test
    void bundledSetsAreTheGeneratorsOutput() throws IOException {
        assertEquals(BundledSetGenerator.sftJsonl(BundledSetGenerator.SEED, BundledSetGenerator.SFT_EXAMPLES),
                resource(AlignmentData.BUNDLED_SFT));
        assertEquals(BundledSetGenerator.preferencesJsonl(BundledSetGenerator.SEED,
                BundledSetGenerator.PREFERENCE_PAIRS), resource(AlignmentData.BUNDLED_PREFERENCES));
    }

    @Test
    void readsTheBundledSets() {
        List<SftExample> sft = AlignmentData.bundledSft();
        assertEquals(BundledSetGenerator.SFT_EXAMPLES, sft.size());
        assertEquals(new ChatMessage(ChatRole.USER, sft.get(0).messages().get(0).content()),
                sft.get(0).messages().get(0));
        long conversational = sft.stream().filter(SftExample::conversational).count();
        assertTrue(conversational > 0 && conversational < sft.size(), "both kinds for the two-stage option");
        List<PreferencePair> pairs = AlignmentData.bundledPreferences();
        assertEquals(BundledSetGenerator.PREFERENCE_PAIRS, pairs.size());
        assertEquals("bundled preferences.jsonl:2", pairs.get(1).source());
    }

    @Test
    void sftErrorsNameFileLineAndField() throws IOException {
        String good = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"yo\"}]}";
        assertSftError(good + "\n\n{\"conversational\":true}", ":3: field 'messages' is missing");
        assertSftError("{\"messages\":[]}", ":1: field 'messages' is empty");
        // An error never quotes what the file holds: a role that is a secret is named by its field only.
        String unknownRole = assertSftError("{\"messages\":[{\"role\":\"secret-4242\",\"content\":\"x\"}]}",
                ":1: messages[0].role is not system, user or assistant");
        assertFalse(unknownRole.contains("secret-4242"), unknownRole);
        assertSftError("{\"messages\":[{\"role\":\"user\"}]}", ":1: messages[0]: field 'content' is missing");
        assertSftError("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", ":1: field 'messages' has no assistant");
        assertSftError(good + "\n{\"messages\": [", ":2: not JSON");
        assertSftError("", ": no records");
    }

    @Test
    void preferenceErrorsNameFileLineAndField() throws IOException {
        Path file = dir.resolve("pairs.jsonl");
        Files.writeString(file, "{\"prompt\":\"p\",\"chosen\":\"a\",\"rejected\":\"b\"}\n{\"prompt\":\"p\",\"chosen\":\"a\"}\n");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> AlignmentData.readPreferences(file));
        assertEquals(file + ":2: field 'rejected' is missing", e.getMessage());
        Files.writeString(file, "{\"prompt\":\"p\",\"chosen\":\"\",\"rejected\":\"b\"}\n");
        e = assertThrows(InvalidInputException.class, () -> AlignmentData.readPreferences(file));
        assertEquals(file + ":1: field 'chosen' must be a non-empty string", e.getMessage());
    }

    /** Asserts that reading {@code content} as SFT data fails with a message starting {@code expected}; answers it. */
    private String assertSftError(String content, String expected) throws IOException {
        Path file = dir.resolve("sft.jsonl");
        Files.writeString(file, content);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> AlignmentData.readSft(file));
        assertTrue(e.getMessage().startsWith(file + expected), e.getMessage());
        return e.getMessage();
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = AlignmentData.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
