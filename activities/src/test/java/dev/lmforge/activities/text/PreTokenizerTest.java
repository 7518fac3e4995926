package dev.lmforge.activities.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

public class PreTokenizerTest {

    /** Code points chosen to sit on every rule's edge: each class, spaces of other kinds, marks, joiners. */
    private static final int[] TRICKY = {
        'a', 'Z', 'é', 'ß', 'я', 'ω', '中', '文', 'あ', 'カ', 'ー', '・', '한', 0x2000B, '々', '〇',
        '0', '9', '٣', '１', '½', 'Ⅻ', ' ', ' ', ' ', '\t', '\n', '\r', 0x00A0, 0x3000, 0x2028,
        '.', ',', '!', '(', ')', '+', '$', '“', '—', '。', '，', 0x1F600, 0x1F3FD, 0x200D, 0x0301, 0x0000, 0x007F,
        0xE000, 0x0378, 0xFEFF, 0x0085,
    };

    @Test
    void everyDigitIsItsOwnPiece() {
        assertEquals(List.of("abc", " ", "1", "2", "3", "4", "5", " x", "٣", "１", "½"), pieces("abc 12345 x٣１½"));
    }

    @Test
    void cjkRunsStandApartFromLatinTextAndPunctuation() {
        assertEquals(List.of("Hello", "世界你好", "，", "world", " ", "한국어カタカナ", "・", "ひらがな", "!"),
            pieces("Hello世界你好，world 한국어カタカナ・ひらがな!"));
    }

    @Test
    void lineBreaksAreKeptApart() {
        assertEquals(List.of("line", " one", "\n\n", "line", " two", "\r\n", "  ", "\n"), pieces("line one\n\nline two\r\n  \n"));
    }

    @Test
    void punctuationRunsTakeOneLeadingSpaceAndNeverJoinWords() {
        assertEquals(List.of("foo", "(", "bar", ");", " //", " done", "..."), pieces("foo(bar); // done..."));
    }

    @Test
    void unclaimedSpacesGroupWithOtherCharactersAndTheLastOneJoinsTheNextWord() {
        assertEquals(List.of("if", "   ", " x", "\t", " y", " \u00A0", "z"), pieces("if    x\t y \u00A0z"));
    }

    @Test
    void malformedUtf8BytesAreOneByteUnitsOfTheOtherClass() {
        byte[] bytes = {'a', 'b', (byte) 0xFF, (byte) 0xED, (byte) 0xA0, (byte) 0x80, ' ', 'c', '1'};
        IntList ends = new IntList(8);
        PreTokenizer.split(bytes, 0, bytes.length, ends);
        assertEquals(List.of(2, 6, 8, 9), List.of(ends.get(0), ends.get(1), ends.get(2), ends.get(3)));
        assertEquals(4, ends.size());
    }

    @Test
    void agreesWithTheSplitPatternsOnTrickyText() {
        Random random = new Random(7);
        for (int sample = 0; sample < 3000; sample++) {
            StringBuilder text = new StringBuilder();
            int length = random.nextInt(24);
            for (int i = 0; i < length; i++) {
                text.appendCodePoint(TRICKY[random.nextInt(TRICKY.length)]);
            }
            assertEquals(referencePieces(text.toString()), pieces(text.toString()), () -> "text: " + escape(text.toString()));
        }
    }

    @Test
    void agreesWithTheSplitPatternsOnRandomCodePoints() {
        Random random = new Random(11);
        for (int sample = 0; sample < 2000; sample++) {
            String text = RandomText.unicode(random, 16);
            assertEquals(referencePieces(text), pieces(text), () -> "text: " + escape(text));
        }
    }

    /** The pieces of {@code text} by the hand-written splitter. */
    static List<String> pieces(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        IntList ends = new IntList(16);
        PreTokenizer.split(bytes, 0, bytes.length, ends);
        List<String> pieces = new ArrayList<>();
        int start = 0;
        for (int k = 0; k < ends.size(); k++) {
            pieces.add(new String(bytes, start, ends.get(k) - start, StandardCharsets.UTF_8));
            start = ends.get(k);
        }
        return pieces;
    }

    /** The pieces by the patterns, applied as Hugging Face applies a Sequence of Isolated Splits. */
    static List<String> referencePieces(String text) {
        List<String> pieces = text.isEmpty() ? List.of() : List.of(text);
        for (String regex : PreTokenizer.SPLIT_PATTERNS) {
            Pattern pattern = Pattern.compile(regex);
            List<String> next = new ArrayList<>();
            for (String piece : pieces) {
                Matcher m = pattern.matcher(piece);
                int last = 0;
                while (m.find()) {
                    if (m.start() > last) {
                        next.add(piece.substring(last, m.start()));
                    }
                    next.add(m.group());
                    last = m.end();
                }
                if (last < piece.length()) {
                    next.add(piece.substring(last));
                }
            }
            pieces = next;
        }
        return pieces;
    }

    public static String escape(String text) {
        StringBuilder b = new StringBuilder();
        text.codePoints().forEach(cp -> b.append(cp >= 0x20 && cp < 0x7F ? Character.toString(cp) : String.format("\\u{%X}", cp)));
        return b.toString();
    }
}
