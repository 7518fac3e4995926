package dev.lmforge.activities.evaluation;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * A task ready to run: its spec and its items.
 *
 * @param spec  what the task file says
 * @param items the data file's items in order
 */
public record Task(TaskSpec spec, List<TaskItem> items) {

    /** The task's name. */
    public String name() {
        return spec.name();
    }

    /**
     * The text the model reads before item {@code index}'s answer: {@code fewShot} other items, solved, then its
     * prompt. The examples are drawn from the other items by a generator seeded with the task's seed and the
     * item's index, so a context never depends on which other items were evaluated.
     */
    public String context(int index) {
        StringBuilder context = new StringBuilder();
        if (spec.fewShot() > 0) {
            Random random = new Random(spec.fewShotSeed() * 1_000_003L + index);
            Set<Integer> picked = new LinkedHashSet<>();
            while (picked.size() < spec.fewShot()) {
                // Draw from the other items: indices at or past {@code index} shift up by one.
                int other = random.nextInt(items.size() - 1);
                picked.add(other >= index ? other + 1 : other);
            }
            for (int example : picked) {
                TaskItem item = items.get(example);
                context.append(item.prompt()).append(spec.delimiter()).append(item.target())
                        .append(spec.fewShotSeparator());
            }
        }
        return context.append(items.get(index).prompt()).toString();
    }
}
