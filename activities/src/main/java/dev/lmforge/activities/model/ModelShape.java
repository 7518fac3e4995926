package dev.lmforge.activities.model;

/**
 * The shape of an lmforge decoder: pre-norm RMSNorm blocks of grouped-query attention with rotary embeddings and
 * a SwiGLU feed-forward network (DESIGN.md, after the paper's Section 2.2). The constructor rejects shapes the
 * architecture cannot build, naming the offending value.
 *
 * @param layers  number of transformer blocks ({@code n_layer})
 * @param dModel  residual width ({@code d_model})
 * @param heads   query heads; must divide {@code dModel}, leaving an even head dimension for rotary embeddings
 * @param kvHeads key/value heads; must divide {@code heads} ({@code kvHeads == heads} is plain multi-head attention)
 * @param seqLen  training sequence length ({@code l_seq})
 * @param vocab   vocabulary size ({@code n_vocab})
 */
public record ModelShape(int layers, int dModel, int heads, int kvHeads, int seqLen, int vocab) {

    public ModelShape {
        Require.positive("layers", layers);
        Require.positive("d_model", dModel);
        Require.positive("heads", heads);
        Require.positive("kv_heads", kvHeads);
        Require.positive("seq", seqLen);
        Require.positive("vocab", vocab);
        if (dModel % heads != 0) {
            throw new IllegalArgumentException("heads " + heads + " do not divide d_model " + dModel);
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("kv_heads " + kvHeads + " do not divide heads " + heads);
        }
        if ((dModel / heads) % 2 != 0) {
            throw new IllegalArgumentException("head dimension d_model/heads = " + dModel / heads
                    + " must be even for rotary embeddings");
        }
    }

    /** Width of one attention head. */
    public int headDim() {
        return dModel / heads;
    }

    /**
     * SwiGLU intermediate size: {@code 8/3 · d_model} rounded up to a multiple of 256 as in Table 2 (11008 for
     * d_model 4096), or of 64 below d_model 1024 so that tiny models do not pay up to 50 % extra width.
     */
    public int ffnHidden() {
        int multiple = dModel >= 1024 ? PaperLaws.SWIGLU_HIDDEN_MULTIPLE : 64;
        // The double 8/3 lies just below the true ratio, so an exact multiple never rounds up a step.
        return (int) Math.ceil(PaperLaws.SWIGLU_HIDDEN_RATIO * dModel / multiple) * multiple;
    }
}
