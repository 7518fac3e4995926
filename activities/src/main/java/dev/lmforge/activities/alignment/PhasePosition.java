package dev.lmforge.activities.alignment;

/**
 * Where one alignment phase stands between two optimizer steps: what a checkpoint taken there holds, besides the
 * trainer's variables, so that the phase continues exactly. The epoch and the batch within it follow from
 * {@code step} ({@link EpochBatches#from}).
 *
 * @param phase              {@value #SFT}, {@value #SFT_CONVERSATIONAL}, {@value #DPO} or {@value #DONE}
 * @param step               optimizer steps already taken in this phase
 * @param responseLossBefore an SFT phase's response loss before its first step; null until measured and outside SFT
 * @param reference          DPO's frozen reference; null until scored and outside DPO
 */
public record PhasePosition(String phase, long step, Double responseLossBefore,
                            DirectPreferenceOptimizer.Reference reference) {

    /** SFT on every example. */
    public static final String SFT = "sft";
    /** The second SFT stage of the two-stage option: the conversational examples only. */
    public static final String SFT_CONVERSATIONAL = "sft-conversational";
    /** DPO. */
    public static final String DPO = "dpo";
    /** Alignment has finished. */
    public static final String DONE = "done";

    /** The start of {@code phase}: nothing measured yet. */
    public static PhasePosition start(String phase) {
        return new PhasePosition(phase, 0, null, null);
    }
}
