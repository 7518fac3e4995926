package dev.lmforge.activities.tokenizer;

import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.text.IntList;
import dev.lmforge.activities.text.TokenShardIndex;
import dev.lmforge.activities.text.TokenShardReader;
import dev.lmforge.activities.text.TokenShardWriter;
import dev.lmforge.activities.text.TrainedTokenizers;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenShardTest {

    @TempDir
    Path dir;

    @Test
    void indexTotalsEqualTheTokenCountsAndTheStreamReadsBack() throws IOException {
        BpeTokenizer tokenizer = TrainedTokenizers.mixedTextTokenizer();
        int eos = tokenizer.specialTokenId("<|eos|>");
        List<String> documents = TrainedTokenizers.mixedTextLines();
        IntList expected = new IntList(4096);
        TokenShardIndex index;
        try (TokenShardWriter writer = new TokenShardWriter(dir, tokenizer.vocabularySize(), eos, 100)) {
            for (String document : documents) {
                int[] ids = tokenizer.encode(document);
                writer.writeDocument(ids);
                expected.addAll(ids, 0, ids.length);
                expected.add(eos);
            }
            index = writer.finish();
        }
        assertEquals(index, TokenShardIndex.read(dir));
        assertEquals("uint16", index.dtype());
        assertEquals(documents.size(), index.documents());
        assertEquals(expected.size(), index.tokens());
        assertEquals(index.tokens(), index.shards().stream().mapToLong(TokenShardIndex.Shard::tokens).sum());
        assertEquals(index.documents(), index.shards().stream().mapToLong(TokenShardIndex.Shard::documents).sum());
        assertEquals((expected.size() + 99) / 100, index.shards().size());
        for (TokenShardIndex.Shard shard : index.shards()) {
            assertEquals(2 * shard.tokens(), Files.size(dir.resolve(shard.file())), "2 bytes a token in " + shard.file());
        }

        try (TokenShardReader reader = TokenShardReader.open(dir)) {
            assertArrayEquals(expected.toArray(), readAll(reader));
            Random random = new Random(8);
            for (int i = 0; i < 50; i++) {
                int position = random.nextInt(expected.size() + 1);
                reader.seek(position);
                int[] rest = readAll(reader);
                assertEquals(expected.size() - position, rest.length);
                for (int k = 0; k < rest.length; k++) {
                    assertEquals(expected.get(position + k), rest[k]);
                }
            }
        }
    }

    @Test
    void largeVocabulariesUseUint32() throws IOException {
        int[] ids = {0, 65_535, 65_536, 99_999};
        try (TokenShardWriter writer = new TokenShardWriter(dir, 100_000, 1, 3)) {
            writer.append(ids);
            writer.endDocument();
        }
        try (TokenShardReader reader = TokenShardReader.open(dir)) {
            assertEquals("uint32", reader.index().dtype());
            assertArrayEquals(new int[] {0, 65_535, 65_536, 99_999, 1}, readAll(reader));
            assertEquals(List.of(0L, 1L), reader.index().shards().stream().map(TokenShardIndex.Shard::documents).toList(),
                "the document ends in the shard holding its end-of-sentence id");
        }
        assertEquals(12, Files.size(dir.resolve("shard-00000.bin")));
    }

    @Test
    void idsOutsideTheVocabularyAreRejected() throws IOException {
        try (TokenShardWriter writer = new TokenShardWriter(dir, 1000, 1, 10)) {
            var e = assertThrows(IllegalArgumentException.class, () -> writer.append(new int[] {5, 1000}));
            assertEquals("token id 1000 is outside the vocabulary of 1000", e.getMessage());
        }
    }

    @Test
    void aShardOfTheWrongSizeIsNamed() throws IOException {
        try (TokenShardWriter writer = new TokenShardWriter(dir, 1000, 1, 10)) {
            writer.writeDocument(new int[] {5, 6, 7});
        }
        Path shard = dir.resolve("shard-00000.bin");
        Files.write(shard, new byte[] {0}, StandardOpenOption.APPEND);
        var e = assertThrows(IOException.class, () -> TokenShardReader.open(dir));
        assertEquals(shard + ": expected 8 bytes for 4 tokens, found 9 bytes", e.getMessage());
    }

    private static int[] readAll(TokenShardReader reader) throws IOException {
        IntList all = new IntList(1024);
        int[] buffer = new int[37];
        for (int n = reader.read(buffer, 0, buffer.length); n >= 0; n = reader.read(buffer, 0, buffer.length)) {
            assertTrue(n > 0);
            all.addAll(buffer, 0, n);
        }
        return all.toArray();
    }
}
