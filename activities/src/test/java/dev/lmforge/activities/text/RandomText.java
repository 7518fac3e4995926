package dev.lmforge.activities.text;

import java.util.Random;

/** Seeded random inputs for the property tests. */
public final class RandomText {

    private RandomText() {
    }

    /** Up to {@code maxLength} code points, any Unicode scalar value, weighted towards ASCII and the BMP. */
    public static String unicode(Random random, int maxLength) {
        StringBuilder text = new StringBuilder();
        int length = random.nextInt(maxLength + 1);
        for (int i = 0; i < length; i++) {
            int cp;
            switch (random.nextInt(4)) {
                case 0 -> cp = random.nextInt(0x80);
                case 1 -> cp = random.nextInt(0x800);
                case 2 -> cp = random.nextInt(0x10000);
                default -> cp = random.nextInt(0x110000);
            }
            if (cp >= 0xD800 && cp <= 0xDFFF) {
                cp = 'x'; // surrogates are not scalar values, so they cannot be text
            }
            text.appendCodePoint(cp);
        }
        return text.toString();
    }

    /** Up to {@code maxLength} random bytes, mostly not valid UTF-8. */
    public static byte[] bytes(Random random, int maxLength) {
        byte[] bytes = new byte[random.nextInt(maxLength + 1)];
        random.nextBytes(bytes);
        return bytes;
    }
}
