package dev.lmforge.web.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lmforge.services.ledger.Records.ArtifactRecord;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The file name an artifact download suggests: its kind, digest and type, never a path or a header injection. */
class ArtifactContentDispositionTest {

    private static final String DIGEST = "3fa2b1c4d5e6" + "0".repeat(52);

    private static String disposition(String kind) {
        return ArtifactResource.contentDisposition(new ArtifactRecord(DIGEST, kind, 1, "{}", Instant.EPOCH, null));
    }

    @Test
    void aKindTheStartOfTheDigestAndTheKindsExtensionNameTheFile() {
        assertEquals("attachment; filename=\"checkpoint-3fa2b1c4d5e6.zip\"", disposition("checkpoint"));
        assertEquals("attachment; filename=\"corpus-3fa2b1c4d5e6.json\"", disposition("corpus"));
        assertEquals("attachment; filename=\"corpus-part-3fa2b1c4d5e6.jsonl\"", disposition("corpus-part"));
        assertEquals("attachment; filename=\"token-shard-3fa2b1c4d5e6.bin\"", disposition("token-shard"));
        // A kind whose bytes could be anything, or one no stage writes, gets no guessed extension.
        assertEquals("attachment; filename=\"raw-dump-3fa2b1c4d5e6\"", disposition("raw-dump"));
        assertEquals("attachment; filename=\"corpus-manifest-3fa2b1c4d5e6\"", disposition("corpus-manifest"));
    }

    @Test
    void aHostileKindCannotLeaveTheNameOrTheHeader() {
        assertEquals("attachment; filename=\"_.._etc_passwd-3fa2b1c4d5e6\"", disposition("/../etc/passwd"));
        assertEquals("attachment; filename=\"a___b_c_d_-3fa2b1c4d5e6\"", disposition("a\"\r\nb;c d\u00e9"));
        assertEquals("attachment; filename=\"artifact-3fa2b1c4d5e6\"", disposition("..."));
        assertEquals("attachment; filename=\"artifact-3fa2b1c4d5e6\"", disposition(null));
        assertEquals(64 + "-3fa2b1c4d5e6".length(), disposition("k".repeat(500)).length()
                - "attachment; filename=\"\"".length());
    }
}
