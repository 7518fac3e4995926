package dev.lmforge.activities.planning;

import dev.lmforge.activities.model.ModelScale;
import dev.lmforge.activities.model.ModelShape;
import dev.lmforge.activities.model.Require;
import java.util.Locale;

/**
 * The decoder shapes lmforge builds, and the depth-first rule that picks the one whose model scale {@code M}
 * (Eq. 2) is closest to a target.
 *
 * <p>Widths: multiples of 64 below 1024 with 64-wide heads; multiples of 128 up to 4096 with 128-wide heads (the
 * 7B model's 4096 = 32 × 128, plain multi-head attention); multiples of 1024 above that, with 128-wide heads and
 * grouped-query attention on 8 KV heads (the 67B model's 8192 = 64 × 128, 8 KV heads), so 8 always divides the
 * head count. Depth grows before width, as in the paper's deep 67B model: a width is used only once the narrower
 * ones would need more than {@code d_model / 64} layers (the width-to-depth ratio of Table 3's two smallest
 * shapes and of GPT-2).
 *
 * <p>The probes of a scaling sweep ({@link #closestProbe}) may also be single-layer toys of width 16, 32 or 48 with
 * 16-wide heads: below about 1e12 FLOPs Eq. 4's optimum lies under one layer of width 64, and an IsoFLOP sweep must
 * measure both sides of it. Plans never pick them.
 */
public final class ShapeLadder {

    /** The narrowest width per layer: {@code layers ≤ d_model / 64}; the narrowest shape a plan trains. */
    public static final int MIN_WIDTH_PER_LAYER = 64;

    /** The narrowest probe: one layer of this width, one 16-wide head. */
    static final int MIN_PROBE_WIDTH = 16;

    /** Head width of the toy shapes below {@link #MIN_WIDTH_PER_LAYER}. */
    private static final int TOY_HEAD_DIM = 16;

    /** Above this many query heads, attention shares K/V across groups (the 67B model's 64 heads use 8). */
    static final int MAX_HEADS_WITHOUT_GQA = 32;

    /** K/V heads once attention is grouped (Table 2: 8 for the 67B model). */
    static final int GQA_KV_HEADS = 8;

    private static final int MAX_WIDTH = 65_536;

    private ShapeLadder() {
    }

    /**
     * The shape whose {@code M} is nearest {@code targetModelScale} (in ratio) among the ladder's widths at their
     * allowed depths, preferring the narrower, deeper shape on a tie. A target below the smallest shape (1 layer,
     * d_model 64) gets that shape.
     */
    public static ModelShape closest(double targetModelScale, int seqLen, int vocab) {
        return closest(targetModelScale, seqLen, vocab, MIN_WIDTH_PER_LAYER);
    }

    /** As {@link #closest}, for a sweep's probe: the toy widths below 64 are allowed too. */
    public static ModelShape closestProbe(double targetModelScale, int seqLen, int vocab) {
        return closest(targetModelScale, seqLen, vocab, MIN_PROBE_WIDTH);
    }

    private static ModelShape closest(double targetModelScale, int seqLen, int vocab, int minWidth) {
        Require.positiveFinite("target model scale M", targetModelScale);
        ModelShape deepestNarrower = null;
        for (int d = minWidth; d <= MAX_WIDTH; d = nextWidth(d)) {
            int maxLayers = Math.max(1, d / MIN_WIDTH_PER_LAYER);
            double perLayer = ModelScale.modelScale(1, d, seqLen);
            double idealLayers = targetModelScale / perLayer;
            if (idealLayers > maxLayers) {
                deepestNarrower = shape(maxLayers, d, seqLen, vocab);
                continue;
            }
            int lower = (int) Math.max(1, Math.floor(idealLayers));
            int upper = (int) Math.min(maxLayers, Math.max(1, Math.ceil(idealLayers)));
            ModelShape best = deepestNarrower;
            for (int layers : new int[] {lower, upper}) {
                ModelShape candidate = shape(layers, d, seqLen, vocab);
                if (best == null || distance(candidate, targetModelScale) < distance(best, targetModelScale)) {
                    best = candidate;
                }
            }
            return best;
        }
        throw new IllegalArgumentException(String.format(Locale.ROOT, 
                "target model scale M = %.3g exceeds the largest shape lmforge builds (%d layers of d_model %d)",
                targetModelScale, MAX_WIDTH / MIN_WIDTH_PER_LAYER, MAX_WIDTH));
    }

    /** The ladder's shape of {@code layers} blocks at width {@code dModel}, with its head layout. */
    static ModelShape shape(int layers, int dModel, int seqLen, int vocab) {
        int heads = dModel / headDim(dModel);
        int kvHeads = heads > MAX_HEADS_WITHOUT_GQA ? GQA_KV_HEADS : heads;
        return new ModelShape(layers, dModel, heads, kvHeads, seqLen, vocab);
    }

    private static int headDim(int dModel) {
        if (dModel < MIN_WIDTH_PER_LAYER) {
            return TOY_HEAD_DIM;
        }
        return dModel < 1024 ? 64 : 128;
    }

    private static int nextWidth(int d) {
        if (d < MIN_WIDTH_PER_LAYER) {
            return d + TOY_HEAD_DIM;
        }
        if (d < 1024) {
            return d + 64;
        }
        return d < 4096 ? d + 128 : d + 1024;
    }

    private static double distance(ModelShape shape, double target) {
        return Math.abs(Math.log(ModelScale.modelScale(shape.layers(), shape.dModel(), shape.seqLen()) / target));
    }
}
