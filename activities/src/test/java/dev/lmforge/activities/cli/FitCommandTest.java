package dev.lmforge.activities.cli;

import dev.lmforge.activities.planning.Figures;
import dev.lmforge.activities.planning.HyperparameterFit;
import dev.lmforge.activities.planning.HyperparameterFitter;
import dev.lmforge.activities.planning.IsoFlopFit;
import dev.lmforge.activities.planning.IsoFlopFitter;
import dev.lmforge.activities.planning.IsoFlopOptimum;
import dev.lmforge.activities.planning.PointsCsvTest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FitCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ISOFLOP = PointsCsvTest.SAMPLES.resolve("isoflop.csv").toString();
    private static final String HPARAMS = PointsCsvTest.SAMPLES.resolve("hparams.csv").toString();

    @TempDir
    Path dir;

    private static String fit(String... words) throws Exception {
        return PlanCommandTest.run(new FitCommand()::run, words);
    }

    @Test
    void isoFlopJsonIsTheFitRecord() throws Exception {
        String json = fit("isoflop", "--input", ISOFLOP, "--json");
        IsoFlopFit expected = IsoFlopFitter.fit(IsoFlopFitter.readCsv(Path.of(ISOFLOP)));
        assertEquals(expected, JSON.readValue(json, IsoFlopFit.class));
    }

    @Test
    void isoFlopTextPrintsTheExponentsAndEachBudget() throws Exception {
        IsoFlopFit fit = IsoFlopFitter.fit(IsoFlopFitter.readCsv(Path.of(ISOFLOP)));
        String text = fit("isoflop", "--input", ISOFLOP);
        assertTrue(text.contains(String.format(Locale.ROOT, "a = %.4f", fit.modelScaleLaw().exponent())), text);
        assertTrue(text.contains(String.format(Locale.ROOT, "b = %.4f", fit.dataTokensLaw().exponent())), text);
        assertTrue(text.contains(String.format(Locale.ROOT, "k_M = %.4g", fit.modelScaleLaw().coefficient())), text);
        assertTrue(text.contains(String.format(Locale.ROOT, "k_D = %.4g", fit.dataTokensLaw().coefficient())), text);
        for (IsoFlopOptimum budget : fit.budgets()) {
            assertTrue(text.contains(String.format(Locale.ROOT, "%-10.3g %-9s", budget.compute(),
                    Figures.count(budget.optimalModelScale()))), text);
        }
    }

    @Test
    void isoFlopPredictionComesWithTheFit() throws Exception {
        JsonNode report = JSON.readTree(fit("isoflop", "--input", ISOFLOP, "--predict", "1e22", "--json"));
        IsoFlopFit fit = IsoFlopFitter.fit(IsoFlopFitter.readCsv(Path.of(ISOFLOP)));
        assertEquals(fit.lossCurve().predict(1e22).loss(), report.path("prediction").path("loss").doubleValue());
        assertEquals(5, report.path("fit").path("budgets").size());
    }

    @Test
    void hyperparameterJsonIsTheFitRecordWithItsMargin() throws Exception {
        String json = fit("hparams", "--input", HPARAMS, "--margin", "0.005", "--json");
        HyperparameterFit expected = HyperparameterFitter.fit(HyperparameterFitter.readCsv(Path.of(HPARAMS)), 0.005);
        assertEquals(expected, JSON.readValue(json, HyperparameterFit.class));
    }

    @Test
    void hyperparameterTextPrintsBothLaws() throws Exception {
        String text = fit("hparams", "--input", HPARAMS);
        assertTrue(text.contains("η_opt = a·C^α"), text);
        assertTrue(text.contains("B_opt = b·C^β"), text);
        assertTrue(text.contains("within 0.250 % of each budget's best loss"), text);
    }

    @Test
    void badInputIsNamed() throws Exception {
        Args.UsageException missing = assertThrows(Args.UsageException.class,
                () -> fit("isoflop", "--input", dir.resolve("none.csv").toString()));
        assertEquals("--input " + dir.resolve("none.csv") + " is not a readable file", missing.getMessage());
        Path bad = Files.writeString(dir.resolve("bad.csv"), "compute,M,D,loss\n1e17,1e8,1e9,x\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> fit("isoflop", "--input", bad.toString()));
        assertEquals(bad + " line 2: loss 'x' is not a number", e.getMessage());
        assertThrows(Args.UsageException.class, () -> fit("hparams", "--input", HPARAMS, "--margin", "-1"));
        assertThrows(Args.UsageException.class, () -> fit("isoflop", "--input", ISOFLOP, "--predict", "0"));
        assertThrows(Args.UsageException.class, () -> fit("sweep", "--input", ISOFLOP));
    }
}
