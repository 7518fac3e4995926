package dev.lmforge.activities.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelScaleTest {

    /** A Table 3 shape with the paper's vocabulary and sequence length; the head count does not enter Eq. 2. */
    private static ModelScale table3Shape(int layers, int dModel) {
        return ModelScale.of(new ModelShape(layers, dModel, dModel / 64, dModel / 64, PaperLaws.CONTEXT_LENGTH,
                PaperLaws.PADDED_VOCAB));
    }

    @Test
    void reproducesTable3ToItsPrintedRounding() throws IOException {
        List<String[]> rows = table3();
        assertEquals(7, rows.size());
        for (String[] row : rows) {
            int layers = Integer.parseInt(row[0]);
            int dModel = Integer.parseInt(row[1]);
            ModelScale scale = table3Shape(layers, dModel);
            String where = layers + "×" + dModel;
            assertPrinted(row[2], scale.nonEmbeddingParams(), where + " N1");
            assertPrinted(row[3], scale.totalParams(), where + " N2");
            assertPrinted(row[4], scale.modelScale(), where + " M");
            if (layers == 32 && dModel == 4096) {
                // The paper prints 0.85 for 6·N1/M = 6·6.44e9/45.1e9 = 6/7 = 0.857: truncated, not rounded.
                assertEquals(6.0 / 7.0, scale.sixN1OverM(), 1e-12);
                assertEquals("0.85", BigDecimal.valueOf(scale.sixN1OverM()).setScale(2, RoundingMode.DOWN)
                        .toPlainString());
            } else {
                assertPrinted(row[5], scale.sixN1OverM(), where + " 6N1/M");
            }
            assertPrinted(row[6], scale.sixN2OverM(), where + " 6N2/M");
        }
    }

    @Test
    void computeIsModelScaleTimesTokens() {
        ModelScale scale = table3Shape(8, 512);
        assertEquals(352_321_536.0 * 1e9, scale.compute(1e9), 1e3);
    }

    @Test
    void exactCountMatchesTensorByTensorCount() {
        // 2 layers, d 256, 4 heads of 64, 2 KV heads, vocab 1000: count every tensor of the model by hand.
        ModelShape shape = new ModelShape(2, 256, 4, 2, 128, 1000);
        long ffn = 704; // 8/3·256 = 682.7, rounded up to a multiple of 64
        long perBlock = 256L * 256 // W_q
                + 256L * 128 * 2     // W_k, W_v: 2 KV heads × 64
                + 256L * 256         // W_o
                + 3 * 256L * ffn     // SwiGLU gate, up, down
                + 2 * 256L;          // two RMSNorm gains
        long expected = 1000L * 256  // token embedding
                + 2 * perBlock
                + 256                // final RMSNorm
                + 1000L * 256;       // output projection
        ModelScale scale = ModelScale.of(shape);
        assertEquals(ffn, scale.ffnHidden());
        assertEquals(expected, scale.exactParams());
        assertEquals(expected - 2 * 1000L * 256, scale.exactNonEmbeddingParams());
    }

    @Test
    void deepSeekShapesGiveTheirNamedSizes() {
        // Table 2: 7B is 30 × 4096 with 32 heads; 67B is 95 × 8192 with 64 heads and 8 KV heads.
        ModelScale seven = ModelScale.of(new ModelShape(30, 4096, 32, 32, 4096, PaperLaws.PADDED_VOCAB));
        ModelScale sixtySeven = ModelScale.of(new ModelShape(95, 8192, 64, 8, 4096, PaperLaws.PADDED_VOCAB));
        assertEquals(11008, seven.ffnHidden());
        assertEquals(22016, sixtySeven.ffnHidden());
        assertEquals(6_910_365_696L, seven.exactParams());
        assertEquals(67_425_001_472L, sixtySeven.exactParams());
    }

    @Test
    void trainingFlopsAddTheOutputLayerToEq2() {
        // Multi-head attention, d 1024: block matrices are 4d² + 3·d·2816 against Eq. 2's idealised 12d².
        ModelShape shape = new ModelShape(4, 1024, 8, 8, 512, 5000);
        ModelScale scale = ModelScale.of(shape);
        double matrices = 4 * (4.0 * 1024 * 1024 + 3.0 * 1024 * 2816) + 5000.0 * 1024;
        assertEquals(6 * matrices + 12.0 * 4 * 1024 * 512, scale.trainingFlopsPerToken(), 1.0);
    }

    @Test
    void rejectsShapesNamingTheValue() {
        assertMessage(() -> new ModelShape(0, 512, 8, 8, 128, 100), "layers must be positive, got 0");
        assertMessage(() -> new ModelShape(2, -512, 8, 8, 128, 100), "d_model must be positive, got -512");
        assertMessage(() -> new ModelShape(2, 512, 0, 1, 128, 100), "heads must be positive, got 0");
        assertMessage(() -> new ModelShape(2, 512, 8, 0, 128, 100), "kv_heads must be positive, got 0");
        assertMessage(() -> new ModelShape(2, 512, 8, 8, 0, 100), "seq must be positive, got 0");
        assertMessage(() -> new ModelShape(2, 512, 8, 8, 128, -1), "vocab must be positive, got -1");
        assertMessage(() -> new ModelShape(2, 512, 7, 7, 128, 100), "heads 7 do not divide d_model 512");
        assertMessage(() -> new ModelShape(2, 512, 8, 3, 128, 100), "kv_heads 3 do not divide heads 8");
        assertMessage(() -> new ModelShape(2, 96, 32, 32, 128, 100),
                "head dimension d_model/heads = 3 must be even");
    }

    private static void assertMessage(Runnable action, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, action::run);
        assertTrue(e.getMessage().contains(expected), () -> "'" + e.getMessage() + "' lacks '" + expected + "'");
    }

    /** {@code actual} rounded to the precision {@code printed} shows (e.g. "3.02B": hundredths of a billion). */
    private static void assertPrinted(String printed, double actual, String what) {
        double unit = printed.endsWith("B") ? 1e9 : printed.endsWith("M") ? 1e6 : 1;
        String digits = unit == 1 ? printed : printed.substring(0, printed.length() - 1);
        BigDecimal expected = new BigDecimal(digits);
        BigDecimal rounded = BigDecimal.valueOf(actual / unit).setScale(expected.scale(), RoundingMode.HALF_UP);
        assertEquals(expected, rounded, what + ": computed " + actual);
    }

    private static List<String[]> table3() throws IOException {
        try (InputStream in = ModelScaleTest.class.getResourceAsStream("/planning/table3.csv")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(line -> !line.startsWith("#") && !line.startsWith("n_layers") && !line.isBlank())
                    .map(line -> line.split(","))
                    .toList();
        }
    }
}
