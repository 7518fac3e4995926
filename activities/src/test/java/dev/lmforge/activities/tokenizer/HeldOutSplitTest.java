package dev.lmforge.activities.tokenizer;

import dev.lmforge.activities.text.CorpusReader;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeldOutSplitTest {

    @Test
    void aboutTheFractionIsHeldOutAndTheSameEveryTime() {
        HeldOutSplit split = new HeldOutSplit(0.01);
        int held = 0;
        for (int part = 0; part < 10; part++) {
            for (long doc = 0; doc < 10_000; doc++) {
                if (split.heldOut(part, doc)) {
                    held++;
                    assertTrue(new HeldOutSplit(0.01).heldOut(part, doc));
                }
            }
        }
        assertTrue(held > 900 && held < 1100, "held out " + held + " of 100000");
        assertThrows(IllegalArgumentException.class, () -> new HeldOutSplit(1.0));
    }

    @Test
    void wholeDocumentsGoToOneSideWithAllTheirChunks() throws Exception {
        HeldOutSplit half = new HeldOutSplit(0.5);
        List<String> training = new ArrayList<>();
        List<String> heldOut = new ArrayList<>();
        CorpusReader.TextSink sink = half.route(3, (t, e) -> training.add(t), (t, e) -> heldOut.add(t));
        for (int doc = 0; doc < 40; doc++) {
            sink.accept("d" + doc + "a", false);
            sink.accept("d" + doc + "b", true);
        }
        for (int doc = 0; doc < 40; doc++) {
            List<String> side = half.heldOut(3, doc) ? heldOut : training;
            assertTrue(side.contains("d" + doc + "a") && side.contains("d" + doc + "b"), "document " + doc);
        }
        assertEquals(80, training.size() + heldOut.size());
        assertTrue(!training.isEmpty() && !heldOut.isEmpty());
    }
}
