package dev.lmforge.activities.evaluation;

import dev.lmforge.activities.JsonSyntax;
import dev.lmforge.activities.text.CorpusReader;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.regex.MatchResult;
import java.util.regex.Pattern;

/**
 * Next-word cloze items from the English prose of a corpus JSONL file (such as the sample corpus's
 * {@code dump-2024-01.jsonl}): the start of a sentence, its true next word, and three distractors drawn from the
 * corpus's frequent words, the true word at a random place among the four.
 */
final class ClozeTaskGenerator implements TaskDataGenerator {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SENTENCE_END = Pattern.compile("(?<=[.!?])\\s+");
    /** Whole words of three letters or more: not part of "don't" or "dpkg-deb". */
    private static final Pattern WORD = Pattern.compile("(?<![\\w'-])[A-Za-z]{3,}(?![\\w'-])");
    /** Sentences of this many words or more qualify; the blank is never among the first {@link #LEAD} words. */
    private static final int MIN_WORDS = 8;
    private static final int MAX_WORDS = 40;
    private static final int LEAD = 4;
    /** Words seen this often or more can be distractors. */
    private static final int FREQUENT = 5;
    private static final int DISTRACTORS = 3;

    private final Path corpus;

    ClozeTaskGenerator(Path corpus) {
        this.corpus = corpus;
    }

    @Override
    public String taskFile() {
        return "cloze.yaml";
    }

    @Override
    public List<ObjectNode> items(long seed, int count) throws IOException {
        List<String> sentences = new ArrayList<>();
        Map<String, Integer> frequency = new HashMap<>();
        readProse(sentences, frequency);
        // Sorted so that the draw depends on the corpus and seed alone, never on hash order.
        List<String> frequent = new ArrayList<>(new TreeSet<>(frequency.keySet().stream()
                .filter(w -> frequency.get(w) >= FREQUENT).toList()));
        if (frequent.size() <= DISTRACTORS) {
            throw new IllegalArgumentException("corpus " + corpus + " has only " + frequent.size() + " words seen "
                    + FREQUENT + " times or more; the cloze needs more than " + DISTRACTORS + " to draw distractors from");
        }
        Random random = new Random(seed);
        Collections.shuffle(sentences, random);
        List<ObjectNode> items = new ArrayList<>(count);
        for (String sentence : sentences) {
            if (items.size() == count) {
                break;
            }
            // The blank follows a space, so the context and " " + the word give back the sentence.
            List<MatchResult> blanks = words(sentence).stream().skip(LEAD)
                    .filter(w -> sentence.charAt(w.start() - 1) == ' ').toList();
            if (blanks.isEmpty()) {
                continue;
            }
            MatchResult blank = blanks.get(random.nextInt(blanks.size()));
            String answer = blank.group();
            List<String> choices = new ArrayList<>();
            while (choices.size() < DISTRACTORS) {
                String distractor = frequent.get(random.nextInt(frequent.size()));
                if (!distractor.equalsIgnoreCase(answer) && !choices.contains(distractor)) {
                    choices.add(distractor);
                }
            }
            int at = random.nextInt(DISTRACTORS + 1);
            choices.add(at, answer);
            ObjectNode item = JsonNodeFactory.instance.objectNode()
                    .put("context", sentence.substring(0, blank.start()).stripTrailing());
            ArrayNode list = item.putArray("choices");
            choices.forEach(list::add);
            items.add(item.put("answer", at));
        }
        if (items.size() < count) {
            throw new IllegalArgumentException("corpus " + corpus + " has only " + items.size()
                    + " English prose sentences of " + MIN_WORDS + " to " + MAX_WORDS + " words; " + count + " asked for");
        }
        return items;
    }

    /** The English prose sentences of the corpus, white space collapsed, and how often each word occurs. */
    private void readProse(List<String> sentences, Map<String, Integer> frequency) throws IOException {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(CorpusReader.open(corpus),
                StandardCharsets.UTF_8))) {
            int line = 0;
            for (String text = reader.readLine(); text != null; text = reader.readLine()) {
                line++;
                if (text.isBlank()) {
                    continue;
                }
                JsonNode document;
                try {
                    document = JSON.readTree(text);
                } catch (JsonProcessingException e) {
                    throw new TaskFileException(corpus, line, "not a JSON document" + JsonSyntax.at(e));
                }
                // Planted junk has domain "web"; only real English manual text makes fair sentences.
                if (!"en".equals(document.path("lang").asText()) || "web".equals(document.path("domain").asText())) {
                    continue;
                }
                for (String sentence : SENTENCE_END.split(document.path("text").asText().replaceAll("\\s+", " "))) {
                    List<MatchResult> words = words(sentence);
                    words.forEach(w -> frequency.merge(w.group(), 1, Integer::sum));
                    if (isProse(sentence, words.size())) {
                        sentences.add(sentence);
                    }
                }
            }
        }
    }

    /** A sentence that starts with a capital, is mostly letters, and has a moderate number of words. */
    private static boolean isProse(String sentence, int words) {
        long letters = sentence.chars().filter(c -> Character.isLetter(c) || c == ' ').count();
        return words >= MIN_WORDS && words <= MAX_WORDS && Character.isUpperCase(sentence.charAt(0))
                && letters >= 0.9 * sentence.length();
    }

    private static List<MatchResult> words(String sentence) {
        return WORD.matcher(sentence).results().toList();
    }
}
