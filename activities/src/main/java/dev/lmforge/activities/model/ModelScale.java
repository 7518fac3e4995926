package dev.lmforge.activities.model;

/**
 * The size figures of a {@link ModelShape}: the paper's model scale {@code M} (Eq. 2) and its Table 3 parameter
 * counts, plus the exact parameter count and training cost of lmforge's architecture.
 *
 * <p>The paper's counts are idealised: {@code N1 = 12·n_layer·d_model²} assumes full multi-head attention
 * ({@code 4·d²}: Q, K, V, O) and an MLP of two {@code d×4d} matrices ({@code 8·d²}), and ignores norms;
 * {@code N2 = N1 + n_vocab·d_model} adds one embedding matrix. lmforge's exact count differs in four ways:
 * grouped-query attention shrinks K and V to {@code d·kv_heads·head_dim} each; SwiGLU has three matrices of
 * {@code d×ffn_hidden} with {@code ffn_hidden} rounded up from {@code 8/3·d} (exactly {@code 8·d²} before
 * rounding); every block has two RMSNorm gains and the stack a final one; and the input embedding and the output
 * projection are separate matrices, so the vocabulary is counted twice.
 *
 * @param shape                   the decoder shape
 * @param modelScale              {@code M} of Eq. 2, non-embedding FLOPs per token, attention included
 * @param nonEmbeddingParams      {@code N1} of Table 3
 * @param totalParams             {@code N2} of Table 3
 * @param sixN1OverM              {@code 6·N1/M} of Table 3
 * @param sixN2OverM              {@code 6·N2/M} of Table 3
 * @param ffnHidden               SwiGLU intermediate size of lmforge's architecture
 * @param exactNonEmbeddingParams lmforge's parameters outside the embedding and output matrices
 * @param exactParams             all of lmforge's parameters
 * @param trainingFlopsPerToken   lmforge's training FLOPs per token: 6 per matrix weight (embedding lookup
 *                                excluded, output projection included) plus Eq. 2's attention term
 */
public record ModelScale(ModelShape shape, double modelScale, long nonEmbeddingParams, long totalParams,
                         double sixN1OverM, double sixN2OverM, int ffnHidden, long exactNonEmbeddingParams,
                         long exactParams, double trainingFlopsPerToken) {

    /** Computes every figure for {@code shape}. */
    public static ModelScale of(ModelShape shape) {
        long n = shape.layers();
        long d = shape.dModel();
        long vocabMatrix = Math.multiplyExact((long) shape.vocab(), d);
        double m = modelScale(shape.layers(), shape.dModel(), shape.seqLen());
        long n1 = Math.multiplyExact(PaperLaws.N1_FACTOR * n, Math.multiplyExact(d, d));
        long n2 = Math.addExact(n1, vocabMatrix);

        long kvWidth = (long) shape.kvHeads() * shape.headDim();
        int ffn = shape.ffnHidden();
        long attentionWeights = 2 * d * d + 2 * d * kvWidth;
        long mlpWeights = 3 * d * ffn;
        long blockMatrices = Math.multiplyExact(n, attentionWeights + mlpWeights);
        long norms = 2 * n * d + d;
        long exactNonEmbedding = Math.addExact(blockMatrices, norms);
        long exact = Math.addExact(exactNonEmbedding, 2 * vocabMatrix);

        double flopsPerToken = PaperLaws.FLOPS_PER_PARAMETER_PER_TOKEN * (double) (blockMatrices + vocabMatrix)
                + PaperLaws.M_ATTENTION_FACTOR * (double) n * d * shape.seqLen();
        int six = PaperLaws.FLOPS_PER_PARAMETER_PER_TOKEN;
        return new ModelScale(shape, m, n1, n2, six * n1 / m, six * n2 / m, ffn, exactNonEmbedding, exact,
                flopsPerToken);
    }

    /** Eq. 2: {@code M = 72·n_layer·d_model² + 12·n_layer·d_model·l_seq}. */
    public static double modelScale(int layers, int dModel, int seqLen) {
        double n = layers;
        double d = dModel;
        return PaperLaws.M_DENSE_FACTOR * n * d * d + PaperLaws.M_ATTENTION_FACTOR * n * d * seqLen;
    }

    /** The compute budget {@code C = M·D} of training this shape on {@code tokens} tokens. */
    public double compute(double tokens) {
        return modelScale * tokens;
    }
}
