package dev.lmforge.activities.evaluation;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.List;

/** Makes the data of one bundled task, the same items for the same seed. */
interface TaskDataGenerator {

    /** The bundled task file the data belongs to; the data file has its name with {@code .jsonl}. */
    String taskFile();

    /** {@code count} items, each one line of the data file. */
    List<ObjectNode> items(long seed, int count) throws IOException;
}
