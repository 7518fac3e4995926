package dev.lmforge.activities.data;

import dev.lmforge.activities.text.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

public class QualityFilterTest {

    static final String ENGLISH = """
            Debian is a free operating system that volunteers around the world build together. Its package manager \
            installs software from a signed archive, resolves dependencies between programs and keeps every \
            configuration file under the control of the administrator. Stable releases arrive roughly every two \
            years, while the testing branch collects newer versions that have survived a short quarantine in \
            unstable. Security updates are published separately, so a careful owner can run the same release for \
            a long time without surprises. Many other distributions, including Ubuntu, started from this \
            foundation and still share much of its tooling.""";

    public static final String CHINESE = """
            Debian 是一个由全世界志愿者共同维护的自由操作系统。它的软件包管理器从经过签名的仓库安装软件，\
            自动解决程序之间的依赖关系，并且让管理员完全掌控每一个配置文件。稳定版大约每两年发布一次，\
            测试版则收集在不稳定版中经过短暂观察的新版本。安全更新单独发布，因此细心的用户可以长期使用同一个版本。""";

    private final QualityFilter filter = new QualityFilter(DataConfig.defaults().quality());

    private QualityFilter.Verdict check(String text) {
        return filter.check(new Document("t", text, "d", "web", "", Map.of()));
    }

    private static String lines(int count, java.util.function.IntFunction<String> line) {
        return IntStream.range(0, count).mapToObj(line).collect(Collectors.joining("\n"));
    }

    @Test
    void realProseInBothLanguagesPasses() {
        QualityFilter.Verdict en = check(ENGLISH);
        assertNull(en.rule(), en.detail());
        assertEquals("en", en.lang());
        QualityFilter.Verdict zh = check(CHINESE);
        assertNull(zh.rule(), zh.detail());
        assertEquals("zh", zh.lang());
    }

    @Test
    void eachRuleRejectsTheDocumentCraftedForIt() {
        String[] sentences = ENGLISH.split("(?<=\\.) ");
        Map<QualityFilter.Rule, String> crafted = new java.util.LinkedHashMap<>();
        crafted.put(QualityFilter.Rule.LANGUAGE, "Das Paketverwaltungssystem installiert Software aus einem signierten Archiv "
                + "und löst Abhängigkeiten zwischen Programmen automatisch auf, während Administratoren jede Datei behalten.");
        crafted.put(QualityFilter.Rule.TOO_SHORT, "The kernel was updated on the mirror today.");
        crafted.put(QualityFilter.Rule.MEAN_WORD_LENGTH, lines(30, i -> "the internationalisationprocedure" + (char) ('a' + i % 26)));
        crafted.put(QualityFilter.Rule.SYMBOL_RATIO, ENGLISH + " " + lines(12, i -> "#tag" + (char) ('a' + i)).replace('\n', ' '));
        crafted.put(QualityFilter.Rule.ELLIPSIS_LINES, String.join("\n", sentences).replaceAll("\\.(\\n|$)", "…$1"));
        crafted.put(QualityFilter.Rule.BULLET_LINES, lines(sentences.length, i -> "- " + sentences[i]));
        crafted.put(QualityFilter.Rule.DUPLICATE_LINES, String.join("\n", sentences) + "\n" + lines(4, i -> "Subscribe to the newsletter"));
        crafted.put(QualityFilter.Rule.DUPLICATE_PARAGRAPHS, String.join("\n", sentences) + "\n\n"
                + lines(3, i -> "Read the release notes first.").replace("\n", "\n\n"));
        crafted.put(QualityFilter.Rule.TOP_NGRAM, ENGLISH + " " + lines(14, i -> "debian package " + "abcdefghijklmn".charAt(i)).replace('\n', ' '));
        String repeated = "the installer writes a small boot loader onto the first sector of the chosen disk";
        crafted.put(QualityFilter.Rule.DUPLICATE_NGRAM, repeated + ". " + ENGLISH + " " + repeated + ".");
        crafted.put(QualityFilter.Rule.ALPHABETIC, ENGLISH + " " + lines(30, i -> String.valueOf(1000 + 37 * i)).replace('\n', ' '));
        crafted.forEach((rule, text) -> {
            QualityFilter.Verdict v = check(text);
            assertEquals(rule, v.rule(), rule + " got " + v.rule() + " (" + v.detail() + ") for: " + text);
        });
        DataConfig.Quality q = DataConfig.defaults().quality();
        DataConfig.Quality shortMax = new DataConfig.Quality(q.minWords(), 60, q.minMeanWordLength(), q.maxMeanWordLength(),
                q.maxSymbolToWordRatio(), q.maxEllipsisLineFraction(), q.maxBulletLineFraction(), q.maxDuplicateLineFraction(),
                q.maxDuplicateParagraphFraction(), q.maxTopNgramFraction(), q.maxDuplicateNgramFraction(),
                q.minAlphabeticFraction(), q.languages(), q.rejectedSamples());
        QualityFilter.Verdict tooLong = new QualityFilter(shortMax).check(new Document("t", ENGLISH, "d", "", "", Map.of()));
        assertEquals(QualityFilter.Rule.TOO_LONG, tooLong.rule());
        assertTrue(tooLong.detail().endsWith("words > 60"), tooLong.detail());
    }

    @Test
    void filteringAShardCountsRejectionsPerRuleAndKeepsSamples(@TempDir Path dir) throws IOException {
        Path in = dir.resolve("in.jsonl");
        try (JsonlWriter out = new JsonlWriter(in)) {
            out.write(new Document("good-en", ENGLISH, "d", "docs", "", Map.of()));
            out.write(new Document("good-zh", CHINESE, "d", "docs", "zh", Map.of()));
            for (int i = 0; i < 3; i++) {
                out.write(new Document("short-" + i, "Too short to keep " + i, "d", "web", "", Map.of()));
            }
            out.commit();
        }
        DataConfig config = DataConfig.defaults();
        QualityFilter.Stats stats = new QualityFilter(config.quality()).filterShard(in, dir.resolve("out.jsonl"), config.reading());
        assertEquals(5, stats.input());
        assertEquals(2, stats.kept());
        assertEquals(3L, stats.rejected().get(QualityFilter.Rule.TOO_SHORT));
        assertEquals(0L, stats.rejected().get(QualityFilter.Rule.LANGUAGE));
        assertEquals(List.of("short-0", "short-1", "short-2"), stats.samples().stream().map(QualityFilter.Rejected::id).toList());
        assertEquals("5 words < 50", stats.samples().get(0).detail());
        assertEquals(Map.of("docs", Map.of("en", 1L, "zh", 1L)), stats.mix().documents(), "the language is filled in");
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        assertEquals(stats, json.readValue(json.writeValueAsBytes(stats), QualityFilter.Stats.class), "fan-out passes it as JSON");
    }
}
