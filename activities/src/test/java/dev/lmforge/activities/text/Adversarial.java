package dev.lmforge.activities.text;

import java.util.List;

/** Inputs chosen to break tokenizers: long runs, mixed scripts, joiners, controls, odd whitespace. */
public final class Adversarial {

    private Adversarial() {
    }

    public static List<String> strings() {
        return List.of(
            "",
            " ",
            "\n",
            "a",
            " ".repeat(5000),
            " ".repeat(300) + "x",
            "\t \t \n \r\n\r\r\n\n\n ",
            "9".repeat(4000),
            "3.14159265358979323846264338327950288419716939937510",
            "a".repeat(20000),
            "ab".repeat(3000),
            "packages".repeat(500),
            "中".repeat(3000),
            "中文English混合text，标点。和123数字",
            "😀".repeat(200) + "👨‍👩‍👧‍👦🇺🇳👍🏽",
            "e\u0301\u0301\u0301\u0301 Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇",
            "\u0000\u0001\u001F\u007F\u0085\u00A0\u2028\u2029\u200B\u200D\uFEFF\uFFFD",
            "𠀋𠀋𠀋 𝕏𝕐 \uDBFF\uDFFF \uE000",
            "!!!!!!!!!!!!!!!!!!!!??????......",
            " (((((((((())))))))))]]]]}}}}",
            "http://example.org/a_b-c?d=e&f=g#h",
            "<|user|>not special<|eos|> <|bos|>",
            "ÀÁÂÃÄÅ ĀāĂă ǅǆ ﬁﬂ Ⅻ ½ ² ١٢٣ ０１２",
            "カタカナ・ひらがな゛゜ー々〇",
            "    def f(x):\n        return x  \n");
    }
}
