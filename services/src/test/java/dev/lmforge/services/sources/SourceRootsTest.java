package dev.lmforge.services.sources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lmforge.services.config.LmforgeSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The source roots on a real file system: what a spec may name, and each way around them. */
class SourceRootsTest {

    @TempDir
    Path dir;
    Path root;
    Path data;
    SourceRoots roots;

    @BeforeEach
    void layout() throws Exception {
        root = Files.createDirectories(dir.resolve("corpora"));
        data = Files.createDirectories(dir.resolve("data"));
        Files.createDirectories(data.resolve("sources"));
        Files.writeString(root.resolve("a.jsonl"), "{}\n");
        Files.writeString(data.resolve("cli-token"), "admin token");
        roots = new SourceRoots(List.of(root, data.resolve("sources")), List.of("crawl/en/", "open"), data, "lmforge");
    }

    private String refused(String spelled) {
        SourceRefusedException e = assertThrows(SourceRefusedException.class, () -> roots.checkSpelled("f", spelled),
                spelled);
        assertEquals("f", e.field());
        return e.rule();
    }

    @Test
    void filesAndFoldersInsideARootAreAllowedByTheirRealPath() throws Exception {
        assertEquals(root.toRealPath().resolve("a.jsonl"), roots.local("f", root.resolve("a.jsonl")));
        Files.createDirectories(root.resolve("sub"));
        assertEquals(root.toRealPath(), roots.local("f", root.resolve("sub/..")));
        Path dataSource = Files.writeString(data.resolve("sources/b.txt"), "text");
        assertEquals(dataSource.toRealPath(), roots.local("f", dataSource));
        roots.checkSpelled("f", root.resolve("not-yet-written.jsonl").toString());
    }

    @Test
    void systemFilesTheDataFolderDotDotAndSymlinksOutAreRefused() throws Exception {
        assertTrue(refused("/etc/passwd").contains("outside the allowed source roots"));
        assertTrue(refused("/proc/self/environ").contains("never a source"));
        assertTrue(refused(data.resolve("cli-token").toString()).contains("data folder"));
        assertTrue(refused(root.resolve("../data/cli-token").toString()).contains("data folder"));
        assertTrue(refused(root + "/../../../../../etc/shadow").contains("outside"));
        Path link = Files.createSymbolicLink(root.resolve("link.jsonl"), data.resolve("cli-token"));
        assertTrue(refused(link.toString()).contains("data folder"), "a symlink is judged by its target");
        Path folderLink = Files.createSymbolicLink(root.resolve("etc"), Path.of("/etc"));
        assertTrue(refused(folderLink.resolve("passwd").toString()).contains("outside"));
        assertTrue(refused("relative/../../x").contains("outside"));
    }

    @Test
    void fifosAndDevicesAreNeverSources() throws Exception {
        Path fifo = root.resolve("pipe.jsonl");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        assertTrue(refused(fifo.toString()).contains("not a regular file or folder"));
        SourceRoots everything = new SourceRoots(List.of(Path.of("/")), List.of(), data, "lmforge");
        assertThrows(SourceRefusedException.class, () -> everything.checkSpelled("f", "/dev/zero"));
        assertThrows(SourceRefusedException.class, () -> everything.checkSpelled("f", "/proc/1/mem"));
        assertThrows(SourceRefusedException.class, () -> everything.checkSpelled("f", data.resolve("cli-token").toString()));
    }

    @Test
    void s3SourcesLieUnderAnAllowedPrefixAndNeverInTheArtifactBucket() {
        roots.checkSpelled("f", "s3://crawl/en/2024/");
        roots.checkSpelled("f", "s3://open");
        roots.checkSpelled("f", "s3://open/any/prefix");
        assertTrue(refused("s3://lmforge/artifacts/").contains("artifact bucket"));
        assertTrue(refused("s3://crawl/enx/").contains("outside the allowed S3 source roots"));
        assertTrue(refused("s3://crawl/").contains("outside"));
        assertTrue(refused("s3://other-team/").contains("outside"));
        assertTrue(refused("s3:///x").contains("s3://bucket/prefix"));
    }

    @Test
    void theDefaultRootsAreSamplesAndTheDataFoldersSources() {
        LmforgeSettings settings = LmforgeSettings.from(Map.of("lmforge.data-dir", data.toString())::get);
        SourceRoots defaults = SourceRoots.from(key -> null, settings);
        assertEquals(List.of(Path.of("samples").toAbsolutePath().toString(), data.resolve("sources").toString()),
                defaults.describe());
        SourceRoots configured = SourceRoots.from(Map.of(SourceRoots.KEY, root + ", s3://crawl/en")::get, settings);
        assertEquals(List.of(root.toString(), "s3://crawl/en/"), configured.describe());
    }

    @Test
    void aTeamsRootsAddToTheSharedOnesAndARootThatIsNeverASourceIsRefused() throws Exception {
        Path team = Files.createDirectories(dir.resolve("team-blue"));
        Files.writeString(team.resolve("b.jsonl"), "{}\n");
        assertThrows(SourceRefusedException.class, () -> roots.checkSpelled("f", team.resolve("b.jsonl").toString()));
        SourceRoots blue = roots.plus(List.of(team.toString(), "s3://blue-bucket/in/"));
        blue.checkSpelled("f", team.resolve("b.jsonl").toString());
        blue.checkSpelled("f", "s3://blue-bucket/in/x.jsonl");
        blue.checkSpelled("f", root.resolve("a.jsonl").toString());
        roots.checkRoot("r", team.toString());
        roots.checkRoot("r", "s3://blue-bucket/in/");
        for (String bad : List.of("relative", "/proc/self", data.toString(), data.resolve("postgres").toString(),
                "s3://lmforge", "s3://Not_A_Bucket", "a,b", "")) {
            SourceRefusedException e = assertThrows(SourceRefusedException.class, () -> roots.checkRoot("r", bad), bad);
            assertEquals("r", e.field());
        }
        roots.checkRoot("r", data.resolve("sources/blue").toString());
    }
}
