package dev.lmforge.workflows.stage;

/**
 * The names under which stages hand their artifacts on: a stage's {@link StageOutput#outputs()} use them as keys,
 * and a later stage finds them under the same name in its {@link StageInput#inputs()}. {@link Stage} says which
 * stage produces and which consumes each.
 */
public final class Outputs {

    /** The data stage's corpus: a manifest of the cleaned, deduplicated, remixed JSONL parts. */
    public static final String CORPUS = "corpus";
    /** The tokenizer stage's byte-level BPE tokenizer (a Hugging Face {@code tokenizer.json}). */
    public static final String TOKENIZER = "tokenizer";
    /** The tokenizer stage's corpus as binary token shards: a manifest of the shards and their index. */
    public static final String TOKENS = "tokens";
    /**
     * The documents the tokenizer stage kept out of the tokenizer and the shards, for bits per byte: JSONL, one
     * {@code {"text": ...}} a line.
     */
    public static final String HELD_OUT = "held-out";
    /** The plan stage's plan: model scale and shape, tokens, batch size and learning rate. */
    public static final String PLAN = "plan";
    /** The scaling laws a plan stage's sweep fitted; handed on so that pretraining can compare its loss with them. */
    public static final String SCALING_FIT = "scaling-fit";
    /** An exported model (pretrained or aligned): a SavedModel with its tokenizer. */
    public static final String MODEL = "model";
    /** A model's final checkpoint: weights, optimizer state and data position. */
    public static final String CHECKPOINT = "checkpoint";
    /** The checkpoint taken where pretraining's multi-step schedule first drops (continual training). */
    public static final String BOUNDARY_CHECKPOINT = "boundary-checkpoint";
    /** An evaluation stage's results. */
    public static final String EVALUATION = "evaluation";
    /** The SFT conversations the align stage trains on, as its data snapshot stored them. */
    public static final String SFT_DATA = "sft-data";
    /** The DPO preference pairs the align stage trains on, as its data snapshot stored them. */
    public static final String PREFERENCE_DATA = "preference-data";
    /**
     * What a stage did, for people: later stages do not take it as an input, so it is neither in their cache keys
     * nor in their lineage.
     */
    public static final String REPORT = "report";

    private Outputs() {
    }
}
