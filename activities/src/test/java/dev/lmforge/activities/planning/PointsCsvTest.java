package dev.lmforge.activities.planning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class PointsCsvTest {

    /** The examples shipped for the command line, relative to the module directory tests run in. */
    public static final Path SAMPLES = Path.of("..", "samples", "planning");

    @TempDir
    Path dir;

    @Test
    void shippedIsoFlopSampleFitsNearItsGeneratingLaw() throws IOException {
        List<IsoFlopPoint> points = IsoFlopFitter.readCsv(SAMPLES.resolve("isoflop.csv"));
        assertEquals(35, points.size());
        IsoFlopFit fit = IsoFlopFitter.fit(points);
        assertEquals(5, fit.budgets().size());
        assertEquals(0.33 / 0.63, fit.modelScaleLaw().exponent(), 0.03);
    }

    @Test
    void shippedHyperparameterSampleFitsNearEq1() throws IOException {
        HyperparameterFit fit = HyperparameterFitter.fit(HyperparameterFitter.readCsv(SAMPLES.resolve("hparams.csv")));
        assertEquals(3, fit.budgets().size());
        assertEquals(-0.125, fit.learningRateLaw().exponent(), 0.03);
        assertEquals(0.3271, fit.batchTokensLaw().exponent(), 0.03);
    }

    @Test
    void columnsMayComeInAnyOrderWithExtras() throws IOException {
        Path file = write("run,loss,D,M,compute\nr1,2.5,1e9,1e8,1e17\n");
        assertEquals(List.of(new IsoFlopPoint(1e17, 1e8, 1e9, 2.5)), IsoFlopFitter.readCsv(file));
    }

    @Test
    void errorsNameTheFileAndLine() throws IOException {
        assertError("# comment\ncompute,M,loss\n",
                "line 2: missing column 'D' (header has compute, M, loss; expected compute,M,D,loss)");
        assertError("compute,M,D,loss\n1e17,1e8,1e9,2.5\n\n1e17,1e8,1e9\n", "line 4: expected 4 fields, found 3");
        assertError("compute,M,D,loss\n1e17,1e8,1e9,abc\n", "line 2: loss 'abc' is not a number");
        assertError("compute,M,D,loss\n1e17,1e8,1e9,2.5\n1e17,1e8,1e9,-1\n",
                "line 3: loss must be positive and finite, got -1.0");
        assertError("compute,M,D,loss\n1e17,1e9,1e9,2.5\n",
                "line 2: M·D = 1.000e+18 is more than 25 % away from compute = 1.000e+17");
        assertError("# nothing here\n\n", ": no header line (expected columns compute,M,D,loss)");
        assertError("compute,M,D,loss\n", ": no points after the header");
    }

    @Test
    void hyperparameterErrorsNameTheColumn() throws IOException {
        Path file = write("compute,batch_tokens,lr,loss\n1e17,0,1e-3,2.5\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HyperparameterFitter.readCsv(file));
        assertEquals(file + " line 2: batch_tokens must be positive and finite, got 0.0", e.getMessage());
    }

    private void assertError(String content, String expectedSuffix) throws IOException {
        Path file = write(content);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IsoFlopFitter.readCsv(file));
        assertEquals(file + (expectedSuffix.startsWith(":") ? "" : " ") + expectedSuffix, e.getMessage());
    }

    private Path write(String content) throws IOException {
        return Files.writeString(Files.createTempFile(dir, "points", ".csv"), content);
    }
}
