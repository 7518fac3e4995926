package dev.lmforge.activities.evaluation;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Random lower-case words of 3 to 8 letters for the model to repeat: {@code "copy: qkzv -> qkzv"}. */
final class CopyTaskGenerator implements TaskDataGenerator {

    private static final int SHORTEST = 3;
    private static final int LONGEST = 8;

    @Override
    public String taskFile() {
        return "copy.yaml";
    }

    @Override
    public List<ObjectNode> items(long seed, int count) {
        Random random = new Random(seed);
        List<ObjectNode> items = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            StringBuilder word = new StringBuilder();
            int length = SHORTEST + random.nextInt(LONGEST - SHORTEST + 1);
            while (word.length() < length) {
                word.append((char) ('a' + random.nextInt(26)));
            }
            items.add(JsonNodeFactory.instance.objectNode().put("text", word.toString()));
        }
        return items;
    }
}
