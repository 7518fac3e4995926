package dev.lmforge.activities.text;

import java.util.Map;

/**
 * The tokenizer stage's {@code tokens} output, a small JSON artifact: the shard directory's index and, for each
 * shard file, the digest of the artifact holding it.
 *
 * @param format always {@link TokenShardIndex#FORMAT}
 * @param index  the shards' index
 * @param files  shard file name to artifact digest
 */
public record TokenShards(String format, TokenShardIndex index, Map<String, String> files) {
}
