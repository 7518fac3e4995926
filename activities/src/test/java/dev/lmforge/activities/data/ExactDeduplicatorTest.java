package dev.lmforge.activities.data;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExactDeduplicatorTest {

    @Test
    void copiesAreEqualUpToCaseWidthAndWhiteSpace() {
        ExactDeduplicator exact = new ExactDeduplicator();
        assertTrue(exact.firstSeen("Debian uses  APT.\n"));
        assertFalse(exact.firstSeen("  debian uses apt."), "case and white space do not count");
        assertFalse(exact.firstSeen("ＤＥＢＩＡＮ uses apt."), "full-width letters fold under NFKC");
        assertTrue(exact.firstSeen("Debian uses apt!"), "punctuation does count");
        assertTrue(exact.firstSeen("软件包"));
        assertFalse(exact.firstSeen("软件包 "));
        assertEquals(3, exact.distinct());
    }
}
