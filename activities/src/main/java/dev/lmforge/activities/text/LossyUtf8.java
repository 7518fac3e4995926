package dev.lmforge.activities.text;

/**
 * Decodes UTF-8, replacing each maximal invalid subpart with one U+FFFD, as the Unicode standard recommends
 * (Section 3.9) and Rust's {@code String::from_utf8_lossy} does. The JDK's decoder differs on encoded surrogates
 * ({@code ED A0 80} gives one U+FFFD there, three here), and decoded text must match Hugging Face's.
 */
final class LossyUtf8 {

    private LossyUtf8() {
    }

    static String decode(byte[] bytes) {
        StringBuilder text = new StringBuilder(bytes.length);
        int i = 0;
        while (i < bytes.length) {
            int b0 = bytes[i] & 0xFF;
            if (b0 < 0x80) {
                text.append((char) b0);
                i++;
                continue;
            }
            int trailing = b0 >= 0xC2 && b0 <= 0xDF ? 1 : b0 >= 0xE0 && b0 <= 0xEF ? 2 : b0 >= 0xF0 && b0 <= 0xF4 ? 3 : 0;
            // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
            int low = b0 == 0xE0 ? 0xA0 : b0 == 0xF0 ? 0x90 : 0x80;
            int high = b0 == 0xED ? 0x9F : b0 == 0xF4 ? 0x8F : 0xBF;
            int codePoint = b0 & (0x3F >> trailing);
            int j = i + 1;
            int read = 0;
            while (read < trailing && j < bytes.length) {
                int b = bytes[j] & 0xFF;
                if (b < (read == 0 ? low : 0x80) || b > (read == 0 ? high : 0xBF)) {
                    break;
                }
                codePoint = codePoint << 6 | b & 0x3F;
                j++;
                read++;
            }
            if (trailing > 0 && read == trailing) {
                text.appendCodePoint(codePoint);
            } else {
                text.append('\uFFFD');
            }
            i = j;
        }
        return text.toString();
    }
}
