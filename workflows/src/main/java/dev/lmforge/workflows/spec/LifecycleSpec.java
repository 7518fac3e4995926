package dev.lmforge.workflows.spec;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lmforge.workflows.stage.CorpusSource;
import dev.lmforge.workflows.stage.Stage;
import dev.lmforge.workflows.sweep.SweepOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A lifecycle as a user writes it (YAML or JSON). Only {@code corpus} and the sections of the stages it runs
 * are needed; {@code stages} defaults to every stage of DESIGN.md in order. Sections of stages whose issues
 * have not landed are kept as raw JSON so that the validator can refuse them by name.
 *
 * @param name       a label for people; not unique
 * @param team       the team that owns the run, if any
 * @param stages     the stage ids to run, in lifecycle order; {@code null} means all
 * @param corpus     the corpus sources (the data stage's input)
 * @param data       the data stage's options
 * @param compute    the compute budget (the plan stage's input)
 * @param tokenizer  the tokenizer stage's options
 * @param plan       the plan stage's options
 * @param model      model shape overrides
 * @param training   the pretrain stage's options
 * @param evaluation the evaluation stages' options
 * @param sft        supervised fine-tuning data and options
 * @param dpo        preference data and options
 */
public record LifecycleSpec(String name, String team, List<String> stages, Corpus corpus, DataOptions data,
                            Compute compute, TokenizerOptions tokenizer, PlanOptions plan, JsonNode model, TrainingOptions training,
                            EvaluationOptions evaluation, SftOptions sft, DpoOptions dpo) {

    /** The name of the bundled evaluation suite in {@code evaluation.suites}; every other entry is a file. */
    public static final String BUNDLED_SUITE = "small";

    /**
     * A file, folder or object that the spec asks a compute worker to read, with the field that names it.
     *
     * @param field the spec field, e.g. {@code corpus.sources[0].path}
     * @param path  the path or {@code s3://} location as written
     */
    public record SourcePath(String field, String path) {
    }

    /**
     * Every file, folder or object this spec names for a worker to read (corpus sources, SFT and DPO data,
     * evaluation suite files), so that one check can confine them all; a new field that names a file belongs here.
     */
    public List<SourcePath> sourcePaths() {
        List<SourcePath> paths = new ArrayList<>();
        if (corpus != null && corpus.sources() != null) {
            for (int i = 0; i < corpus.sources().size(); i++) {
                CorpusSource source = corpus.sources().get(i);
                if (source != null && source.path() != null) {
                    paths.add(new SourcePath("corpus.sources[" + i + "].path", source.path()));
                }
            }
        }
        if (sft != null && sft.data() != null) {
            paths.add(new SourcePath("sft.data", sft.data()));
        }
        if (dpo != null && dpo.data() != null) {
            paths.add(new SourcePath("dpo.data", dpo.data()));
        }
        if (evaluation != null && evaluation.suites() != null) {
            for (int i = 0; i < evaluation.suites().size(); i++) {
                String suite = evaluation.suites().get(i);
                if (suite != null && !suite.equals(BUNDLED_SUITE)) {
                    paths.add(new SourcePath("evaluation.suites[" + i + "]", suite));
                }
            }
        }
        return paths;
    }

    /** The corpus: one or more sources, each a dump. */
    public record Corpus(List<CorpusSource> sources) {
    }

    /**
     * The compute budget.
     *
     * @param budget total training FLOPs {@code C}
     * @param tokens an upper limit on training tokens, if data is scarce
     */
    public record Compute(Double budget, Long tokens) {
    }

    /**
     * Options of the data stage. Every setting is optional; an absent one keeps its default ({@link DataSettings}
     * holds the defaults and ranges; the compute side's {@code DataConfig} gives each setting's meaning).
     *
     * @param maxBytesPerSecond limits how fast the stage reads its sources (protects shared storage); none when
     *                          absent
     * @param partitions        how many partitions the LSH band keys are shuffled into; one activity finds the
     *                          pairs of each (the output does not depend on it)
     * @param reading           limits on bad input
     * @param dedup             exact and MinHash near-duplicate removal
     * @param quality           the heuristic quality rules
     * @param remix             the target mix
     */
    public record DataOptions(Long maxBytesPerSecond, Integer partitions, Reading reading, Dedup dedup,
                              Quality quality, Remix remix) {

        /** Limits on bad input: the longest record, and the share of bad records at which the stage fails. */
        public record Reading(Long maxDocumentBytes, Double maxErrorRatio) {
        }

        /** Deduplication: {@code shingles} is {@code WORD} or {@code CHARACTER}, {@code keep} {@code EARLIEST_DUMP} or {@code LATEST_DUMP}. */
        public record Dedup(Boolean near, String shingles, Integer shingleSize, Integer permutations, Integer bands,
                            Integer rows, Double threshold, Long seed, String keep) {
        }

        /** Thresholds of the quality rules and the languages kept. */
        public record Quality(Integer minWords, Integer maxWords, Double minMeanWordLength, Double maxMeanWordLength,
                              Double maxSymbolToWordRatio, Double maxEllipsisLineFraction, Double maxBulletLineFraction,
                              Double maxDuplicateLineFraction, Double maxDuplicateParagraphFraction,
                              List<Double> maxTopNgramFraction, List<Double> maxDuplicateNgramFraction,
                              Double minAlphabeticFraction, List<String> languages, Integer rejectedSamples) {
        }

        /** The target mix: weights per domain and language, documents wanted (0 keeps the count), the seed. */
        public record Remix(Map<String, Double> domainWeights, Map<String, Double> languageWeights, Long documents,
                            Long seed) {
        }
    }

    /**
     * Options of the tokenizer stage.
     *
     * @param vocabSize      tokens in all: special tokens, the 256 bytes and the learned merges (default 32,000)
     * @param sampleBytes    train on at most this many bytes of the corpus (default 100 MB)
     * @param tokensPerShard token ids per shard file (default 64 Mi)
     */
    public record TokenizerOptions(Integer vocabSize, Long sampleBytes, Long tokensPerShard) {
    }

    /**
     * Options of the plan stage.
     *
     * @param seqLen the training sequence length; chosen from the batch size when absent
     * @param vocab  the vocabulary size; the paper's padded 102,400 when absent
     * @param sweep  when given, the stage first fits the scaling laws from sweeps of small probe runs on the
     *               corpus tokens and plans with them; left out of the config's JSON when absent, so the cache
     *               keys of plans without a sweep stay as they were
     */
    public record PlanOptions(Integer seqLen, Integer vocab,
                              @JsonInclude(JsonInclude.Include.NON_NULL) SweepOptions sweep) {
    }

    /**
     * Options of the pretrain stage; the model, batch, learning rate and steps come from the plan stage.
     *
     * @param seed                  seeds the initial weights and the data order (default 0)
     * @param schedule              {@code multi-step} (the paper's, default) or {@code cosine}
     * @param precision             {@code float32} (default) or {@code bfloat16} (bf16 matrix multiplies,
     *                              fp32 master weights)
     * @param microBatchSequences   sequences per micro-batch (gradient accumulation makes up the batch); chosen
     *                              from the worker's memory when absent
     * @param threads               TensorFlow's intra-op threads; the worker's cores when absent
     * @param checkpointMinutes     minutes between checkpoints (default 5, as the paper)
     * @param checkpointSteps       steps between checkpoints as well, if set
     * @param keepCheckpoints       how many of the newest periodic checkpoints to keep (default 3); the schedule's
     *                              80 % boundary checkpoint and the final one are always kept
     * @param extendFrom            continual training (the paper's Figure 1b): the digest of a finished run's
     *                              boundary checkpoint; this run resumes there with the same model and trains to
     *                              its own budget instead of starting over
     */
    public record TrainingOptions(Long seed, String schedule, String precision, Integer microBatchSequences,
                                  Integer threads, Double checkpointMinutes, Integer checkpointSteps,
                                  Integer keepCheckpoints, String extendFrom) {
    }

    /**
     * Options of the evaluation stages.
     *
     * @param suites           task suites or task files: {@code small} (lmforge's bundled suite: generated
     *                         arithmetic and copying, and a cloze from the corpus) or paths the compute worker can
     *                         read; default {@code [small]}, an empty list measures bits per byte only
     * @param items            items per task of the bundled suite (default 100)
     * @param heldOutDocuments at most this many held-out documents for bits per byte (default 200)
     * @param batchSize        rows per forward pass (default 8)
     */
    public record EvaluationOptions(List<String> suites, Integer items, Integer heldOutDocuments, Integer batchSize) {
    }

    /**
     * Options of supervised fine-tuning (the align stage's first half); absent ones take the paper's values.
     *
     * @param data           a JSONL file of conversations on the compute worker; the bundled set when absent
     * @param epochs         passes over the data (per stage when two-stage)
     * @param learningRate   the peak learning rate
     * @param schedule       {@code cosine} (warm-up then cosine) or {@code constant}
     * @param twoStage       the paper's two-stage SFT: all data, then conversational data only
     * @param batchSequences rows per optimizer step, even (DPO takes a chosen and a rejected row per pair)
     * @param seed           the data order's seed
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record SftOptions(String data, Integer epochs, Double learningRate, String schedule, Boolean twoStage,
                             Integer batchSequences, Long seed) {
    }

    /**
     * Options of direct preference optimisation (the align stage's second half).
     *
     * @param data            a JSONL file of {@code {prompt, chosen, rejected}} pairs; the bundled set when absent
     * @param beta            DPO's β
     * @param epochs          passes over the pairs (one by default)
     * @param learningRate    the peak learning rate
     * @param schedule        {@code cosine} or {@code constant}
     * @param heldOutFraction the share of pairs kept out of training for the margin and accuracy figures
     * @param seed            the data order's seed
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record DpoOptions(String data, Double beta, Integer epochs, Double learningRate, String schedule,
                             Double heldOutFraction, Long seed) {
    }

    /** The stages this spec runs, in lifecycle order (assumes a validated spec). */
    public List<Stage> stageList() {
        if (stages == null) {
            return List.of(Stage.values());
        }
        return Arrays.stream(Stage.values()).filter(s -> stages.contains(s.id())).toList();
    }
}
