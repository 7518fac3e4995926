package dev.lmforge.activities.data;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LanguageIdentifierTest {

    private final LanguageIdentifier identifier = new LanguageIdentifier();

    @Test
    void tellsEnglishFromChineseFromOther() {
        assertEquals("en", identifier.identify(QualityFilterTest.ENGLISH).lang());
        assertEquals("zh", identifier.identify(QualityFilterTest.CHINESE).lang());
        assertEquals("zh", identifier.identify("使用 apt-get install 命令安装软件包，然后运行 dpkg -l 查看已安装的软件包列表。").lang(),
                "Chinese with commands in it");
        assertEquals("other", identifier.identify("Die Paketverwaltung installiert Programme und löst Abhängigkeiten auf, "
                + "damit das System stabil bleibt und Aktualisierungen sicher sind.").lang(), "German");
        assertEquals("other", identifier.identify("パッケージ管理システムはソフトウェアをインストールします。").lang(), "Japanese");
        assertEquals("other", identifier.identify("Система управления пакетами устанавливает программы.").lang(), "Russian");
        assertEquals("other", identifier.identify("#$%& *** ---").lang(), "no words at all");
    }
}
