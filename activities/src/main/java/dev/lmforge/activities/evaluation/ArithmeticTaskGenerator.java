package dev.lmforge.activities.evaluation;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Sums and differences of whole numbers below 100, differences never negative: {@code "12+7"} with answer 19. */
final class ArithmeticTaskGenerator implements TaskDataGenerator {

    private static final int BELOW = 100;

    @Override
    public String taskFile() {
        return "arithmetic.yaml";
    }

    @Override
    public List<ObjectNode> items(long seed, int count) {
        Random random = new Random(seed);
        List<ObjectNode> items = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int a = random.nextInt(BELOW);
            int b = random.nextInt(BELOW);
            boolean sum = random.nextBoolean();
            int left = sum ? a : Math.max(a, b);
            int right = sum ? b : Math.min(a, b);
            items.add(JsonNodeFactory.instance.objectNode()
                    .put("question", left + (sum ? "+" : "-") + right)
                    .put("answer", sum ? left + right : left - right));
        }
        return items;
    }
}
