package dev.lmforge.activities.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Where each lmforge variable goes in Hugging Face's {@code LlamaForCausalLM}, and back. lmforge keeps matrices
 * as {@code [in, out]} ({@code x·W}); PyTorch's {@code nn.Linear} keeps {@code [out, in]}, so every projection is
 * transposed. The fused products split by columns: {@code w_qkv} is {@code [W_q | W_k | W_v]} with widths
 * {@code d_model, kvHeads·headDim, kvHeads·headDim}, {@code w_gate_up} is {@code [W_gate | W_up]}. Heads sit in
 * the same column order in both (head {@code h} owns columns {@code h·headDim ..}), query head {@code h} reads
 * key/value head {@code h / group} in both, and lmforge's rotary embedding already turns pairs
 * {@code (j, j + headDim/2)} as transformers' {@code rotate_half} does, so q and k need no permutation. The
 * embedding ({@code [vocab, d_model]}) and the norm gains are the same in both.
 */
final class HfLlamaLayout {

    private HfLlamaLayout() {
    }

    /**
     * One Hugging Face tensor cut from an lmforge variable: columns {@code [fromColumn, fromColumn + columns)} of
     * the {@code [rows, variableColumns]} variable, transposed when {@code transposed}. A vector is one row.
     */
    record Slice(String hfName, String variable, long rows, long variableColumns, long fromColumn, long columns,
                 boolean transposed) {

        /** The Hugging Face tensor's shape. */
        long[] hfShape() {
            if (rows == 1 && !transposed && variableColumns == columns) {
                return new long[] {columns};
            }
            return transposed ? new long[] {columns, rows} : new long[] {rows, columns};
        }

        /** The Hugging Face tensor's values, row-major, from the variable's. */
        float[] cut(float[] variable) {
            float[] out = new float[Math.toIntExact(rows * columns)];
            for (long r = 0; r < rows; r++) {
                for (long c = 0; c < columns; c++) {
                    float v = variable[(int) (r * variableColumns + fromColumn + c)];
                    out[(int) (transposed ? c * rows + r : r * columns + c)] = v;
                }
            }
            return out;
        }

        /** Writes the Hugging Face tensor's values back into their place in the variable. */
        void paste(float[] hf, float[] variable) {
            for (long r = 0; r < rows; r++) {
                for (long c = 0; c < columns; c++) {
                    variable[(int) (r * variableColumns + fromColumn + c)] =
                            hf[(int) (transposed ? c * rows + r : r * columns + c)];
                }
            }
        }
    }

    /** Every tensor of the Hugging Face checkpoint, grouped by the lmforge variable it comes from, in order. */
    static List<Slice> slices(ModelShape shape) {
        long d = shape.dModel();
        long kv = (long) shape.kvHeads() * shape.headDim();
        long ffn = shape.ffnHidden();
        long vocab = shape.vocab();
        List<Slice> slices = new ArrayList<>();
        slices.add(new Slice("model.embed_tokens.weight", "embedding", vocab, d, 0, d, false));
        for (int layer = 0; layer < shape.layers(); layer++) {
            String lm = "layer" + layer + "_";
            String hf = "model.layers." + layer + ".";
            slices.add(new Slice(hf + "input_layernorm.weight", lm + "attention_norm", 1, d, 0, d, false));
            long qkv = d + 2 * kv;
            slices.add(new Slice(hf + "self_attn.q_proj.weight", lm + "w_qkv", d, qkv, 0, d, true));
            slices.add(new Slice(hf + "self_attn.k_proj.weight", lm + "w_qkv", d, qkv, d, kv, true));
            slices.add(new Slice(hf + "self_attn.v_proj.weight", lm + "w_qkv", d, qkv, d + kv, kv, true));
            slices.add(new Slice(hf + "self_attn.o_proj.weight", lm + "wo", d, d, 0, d, true));
            slices.add(new Slice(hf + "post_attention_layernorm.weight", lm + "ffn_norm", 1, d, 0, d, false));
            slices.add(new Slice(hf + "mlp.gate_proj.weight", lm + "w_gate_up", d, 2 * ffn, 0, ffn, true));
            slices.add(new Slice(hf + "mlp.up_proj.weight", lm + "w_gate_up", d, 2 * ffn, ffn, ffn, true));
            slices.add(new Slice(hf + "mlp.down_proj.weight", lm + "w_down", ffn, d, 0, d, true));
        }
        slices.add(new Slice("model.norm.weight", "final_norm", 1, d, 0, d, false));
        slices.add(new Slice("lm_head.weight", "output", d, vocab, 0, vocab, true));
        return slices;
    }
}
