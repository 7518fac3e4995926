package dev.lmforge.activities.tokenizer;

import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.StageContext;
import dev.lmforge.activities.StageRuntime;
import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.text.CorpusReader;
import dev.lmforge.activities.text.CorpusManifest;
import dev.lmforge.activities.text.TokenShardIndex;
import dev.lmforge.activities.text.TokenShardWriter;
import dev.lmforge.activities.text.TokenShards;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lmforge.workflows.stage.ArtifactRef;
import dev.lmforge.workflows.stage.Outputs;
import dev.lmforge.workflows.stage.StageInput;
import dev.lmforge.workflows.stage.StageOutput;
import dev.lmforge.workflows.stage.TokenizerStage;
import dev.lmforge.workflows.stage.TokenizerStageConfig;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The tokenizer stage on a compute worker: trains {@link BpeTrainer} on the first {@code sampleBytes} of the
 * corpus, stores the {@code tokenizer.json}, then encodes the whole corpus into {@link TokenShardWriter} shards.
 * The trained tokenizer's digest is heartbeated, so a retry skips training and only re-encodes. A seeded 1 % of
 * the documents ({@link HeldOutSplit}) is kept out of both and stored as the {@code held-out} output, on which the
 * evaluation stages measure bits per byte.
 */
public final class TokenizerStageActivities implements TokenizerStage {

    /** The checkpoint: the tokenizer already trained and stored by an earlier attempt. */
    record Checkpoint(String tokenizerDigest) {
    }

    /** One document in a hundred is held out of the tokenizer and the token shards. */
    static final HeldOutSplit HELD_OUT = new HeldOutSplit(0.01);

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper JSONL = new ObjectMapper();
    private final StageRuntime runtime;

    public TokenizerStageActivities(StageRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public StageOutput tokenize(StageInput input) {
        TokenizerStageConfig config = JSON.convertValue(input.config(), TokenizerStageConfig.class);
        ArtifactRef corpusRef = input.inputs().get(Outputs.CORPUS);
        return StageContext.run(runtime, input, Checkpoint.class, context -> {
            if (corpusRef == null) {
                throw new InvalidInputException("stages: the tokenizer stage needs the data stage's corpus before it");
            }
            Path work = context.workDirectory();
            CorpusManifest corpus = CorpusManifest.read(context.artifacts(), corpusRef.digest());
            List<Path> parts = download(context, corpus, work);
            BpeTokenizer tokenizer;
            ArtifactRef tokenizerRef;
            var checkpoint = context.checkpoint(Checkpoint.class);
            if (checkpoint.isPresent()) {
                context.artifacts().download(checkpoint.get().tokenizerDigest(), work.resolve(BpeTokenizer.FILE_NAME));
                tokenizer = BpeTokenizer.load(work.resolve(BpeTokenizer.FILE_NAME));
                tokenizerRef = new ArtifactRef(checkpoint.get().tokenizerDigest(), "tokenizer",
                        Files.size(work.resolve(BpeTokenizer.FILE_NAME)));
            } else {
                tokenizer = train(context, parts, config);
                Path file = tokenizer.save(work.resolve("tokenizer"));
                tokenizerRef = context.putArtifact(file, "tokenizer", Map.of("vocabSize", tokenizer.vocabularySize(),
                        "format", "huggingface-tokenizer.json"));
                context.heartbeat(new Checkpoint(tokenizerRef.digest()));
            }
            return encode(context, parts, tokenizer, tokenizerRef, config, work.resolve("shards"));
        });
    }

    private static List<Path> download(StageContext context, CorpusManifest corpus, Path work) throws IOException {
        List<Path> parts = new ArrayList<>();
        for (int i = 0; i < corpus.parts().size(); i++) {
            Path part = work.resolve("part-" + i + ".jsonl");
            context.artifacts().download(corpus.parts().get(i).digest(), part);
            parts.add(part);
        }
        return parts;
    }

    private static BpeTokenizer train(StageContext context, List<Path> parts, TokenizerStageConfig config) throws IOException {
        BpeTrainer trainer;
        try {
            trainer = new BpeTrainer(config.vocabSize());
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("tokenizer.vocabSize: " + e.getMessage());
        }
        long[] seen = {0};
        for (int i = 0; i < parts.size() && seen[0] < config.sampleBytes(); i++) {
            CorpusReader.readText(parts.get(i), HELD_OUT.route(i, (text, end) -> {
                if (seen[0] < config.sampleBytes()) {
                    trainer.addText(text);
                    seen[0] += text.getBytes(StandardCharsets.UTF_8).length;
                }
                context.heartbeat(null);   // cheap (the SDK sends at most one every 2 s); a cancel stops the read
            }, (text, end) -> { }));
            context.heartbeat(null);
        }
        if (seen[0] == 0) {
            throw new InvalidInputException("corpus: the tokenizer has no text to train on (the corpus is empty)");
        }
        return trainer.train(merges -> context.heartbeat(null));
    }

    private static StageOutput encode(StageContext context, List<Path> parts, BpeTokenizer tokenizer,
                                      ArtifactRef tokenizerRef, TokenizerStageConfig config, Path shardDir) throws IOException {
        int eos = tokenizer.specialTokenId("<|eos|>");
        TokenShardIndex index;
        Path heldOutFile = shardDir.resolveSibling("held-out.jsonl");
        Checkpoint trained = new Checkpoint(tokenizerRef.digest());
        try (TokenShardWriter writer = new TokenShardWriter(shardDir, tokenizer.vocabularySize(), eos, config.tokensPerShard());
             HeldOutWriter heldOut = new HeldOutWriter(heldOutFile)) {
            for (int i = 0; i < parts.size(); i++) {
                CorpusReader.readText(parts.get(i), HELD_OUT.route(i, (text, end) -> {
                    writer.append(tokenizer.encode(text));
                    if (end) {
                        writer.endDocument();
                    }
                    context.heartbeat(trained);
                }, heldOut::accept));
                context.heartbeat(trained);
            }
            index = writer.finish();
        }
        Map<String, String> files = new LinkedHashMap<>();
        for (TokenShardIndex.Shard shard : index.shards()) {
            context.heartbeat(trained);   // a corpus makes many shards: a cancel stops the uploads between two
            files.put(shard.file(), context.putArtifact(shardDir.resolve(shard.file()), "token-shard",
                    Map.of("tokens", shard.tokens(), "dtype", index.dtype())).digest());
        }
        ArtifactRef tokens = context.putArtifact(JSON.writeValueAsBytes(new TokenShards(TokenShardIndex.FORMAT, index, files)),
                "tokens", Map.of("tokens", index.tokens(), "documents", index.documents(), "shards", index.shards().size()));
        ArtifactRef heldOutRef = context.putArtifact(heldOutFile, "held-out-text",
                Map.of("documents", heldOutDocuments(heldOutFile), "fraction", HELD_OUT.fraction()));
        context.metric("tokens", 0, index.tokens());
        Map<String, Double> summary = new LinkedHashMap<>();
        summary.put("vocabSize", (double) tokenizer.vocabularySize());
        summary.put("documents", (double) index.documents());
        summary.put("tokens", (double) index.tokens());
        summary.put("shards", (double) index.shards().size());
        summary.put("heldOutDocuments", (double) heldOutDocuments(heldOutFile));
        return new StageOutput(Map.of(Outputs.TOKENIZER, tokenizerRef, Outputs.TOKENS, tokens,
                Outputs.HELD_OUT, heldOutRef), summary);
    }

    private static long heldOutDocuments(Path file) throws IOException {
        try (Stream<String> lines = Files.lines(file)) {
            return lines.count();
        }
    }

    /** Writes held-out documents as JSONL, joining the chunks of each. */
    private static final class HeldOutWriter implements AutoCloseable {
        private final Writer out;
        private final StringBuilder document = new StringBuilder();

        HeldOutWriter(Path file) throws IOException {
            Files.createDirectories(file.toAbsolutePath().getParent());
            out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        }

        void accept(String text, boolean documentEnds) throws IOException {
            document.append(text);
            if (documentEnds) {
                out.write(JSONL.writeValueAsString(Map.of("text", document.toString())));
                out.write('\n');
                document.setLength(0);
            }
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }
}
