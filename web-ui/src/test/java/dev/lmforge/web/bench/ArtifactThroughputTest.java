package dev.lmforge.web.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The smoke run of {@code lmforge bench artifacts}: its smallest sizes against a real S3 server (S3Proxy), one of
 * them of several parts. It must print every figure as a positive, finite number and leave no file behind; the
 * figures themselves are not judged.
 */
class ArtifactThroughputTest {

    private static final Pattern FIGURE = Pattern.compile(
            "artifacts (\\d+ MB): file copy (\\S+) MB/s; sha-256 pass (\\S+) MB/s \\((\\S+) x copy\\); put (\\S+) MB/s "
                    + "\\((\\S+) x copy, peak heap \\d+ MB\\); get\\+verify (\\S+) MB/s \\((\\S+) x copy, peak heap \\d+ MB\\)");

    @Test
    void theSmokeRunPrintsEveryFigureForEverySize(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        ArtifactThroughput.run(dir, ArtifactThroughput.SMOKE, new PrintStream(printed, true, StandardCharsets.UTF_8));
        String text = printed.toString(StandardCharsets.UTF_8);
        System.out.print(text);
        assertTrue(text.contains("cores, max heap"), text);
        Matcher m = FIGURE.matcher(text);
        int lines = 0;
        while (m.find()) {
            lines++;
            for (int g = 2; g <= m.groupCount(); g++) {
                double figure = Double.parseDouble(m.group(g));
                assertTrue(figure > 0 && Double.isFinite(figure), m.group(1) + ", figure " + g + ": " + m.group(g));
            }
        }
        assertEquals(ArtifactThroughput.SMOKE.size(), lines, text);
        try (var files = Files.list(dir.resolve("files"))) {
            assertEquals(0, files.count(), "the bench's files are removed after each size");
        }
    }
}
